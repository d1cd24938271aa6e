/**
 * The worker processes of one run: start (fork, init, connect the ring, set up), train in lock-step,
 * export/import shards, stop. The first worker death kills the rest and fails every pending call
 * with an error naming the device, so no process is left behind and nothing hangs.
 */
import { rm } from 'node:fs/promises';
import type { Mesh } from '../../core/dtensor/mesh';
import type { DeviceInfo, DeviceStats } from '../../shared/api';
import type {
  EvalReport,
  ShardRecord,
  StepReport,
  TrainSetup,
  VariableLayout,
  WorkerInfo,
  WorkerEvent,
} from '../../shared/worker-protocol';
import { DeviceProcess, WorkerDiedError, WorkerStalledError, type WorkerFailure } from './device-process';
import type { ProcessHost } from './process-host';
import { backendOrder } from '../config/compute';
import { workerEnv } from './devices';
import { createSocketDir, sweepOrphanSocketDirs } from './socket-dirs';
import { cpuMillis } from './process-cpu';
import { stallVerdict } from './stall-verdict';
import { workerStartLine } from './worker-log';

export interface MeshSessionOptions {
  host: ProcessHost;
  workerEntry: string;
  mesh: Mesh;
  /** One per mesh device, in mesh device order. */
  devices: DeviceInfo[];
  /** A worker without a finished step for this long is declared stalled (default 120 s). */
  stallTimeoutMs?: number;
  log?: (line: string) => void;
}

export class MeshSession {
  private failure: WorkerFailure | undefined;
  private readonly failureListeners: ((e: WorkerFailure) => void)[] = [];
  private closed = false;
  /** When each device last finished a step (or a train call began). */
  private readonly lastProgress = new Map<number, number>();
  /** Rejects once, when the watchdog declares a worker stalled; every train() races it. */
  private readonly stalled: Promise<never>;
  private checking = false;

  private constructor(
    readonly mesh: Mesh,
    private readonly workers: DeviceProcess[],
    readonly infos: WorkerInfo[],
    private readonly socketDir: string,
    private readonly stallTimeoutMs: number,
  ) {
    this.onEvent((e) => e.type === 'step' && this.lastProgress.set(e.deviceId, Date.now()));
    this.stalled = new Promise<never>((_, reject) => this.onFailure((e) => e instanceof WorkerStalledError && reject(e)));
    this.stalled.catch(() => undefined); // observed through train(); no unhandled rejection when idle
    for (const w of workers) void w.exited.then((exit) => !this.closed && this.fail(new WorkerDiedError(w.deviceId, exit)));
  }

  static async start(options: MeshSessionOptions, setup: Omit<TrainSetup, 'socketDir'>): Promise<MeshSession> {
    const { host, workerEntry, mesh, devices, log } = options;
    if (devices.length !== mesh.size)
      throw new Error(`the mesh ${mesh} has ${mesh.size} devices but ${devices.length} were given`);
    await sweepOrphanSocketDirs();
    const socketDir = await createSocketDir();
    const { backend, nativeBlas, commThread } = setup.compute;
    const workers = mesh.deviceIds.map((id, i) =>
      DeviceProcess.start(
        host,
        workerEntry,
        id,
        workerEnv(devices[i]!, devices[i]!.kind === 'GPU' ? devices[i]!.deviceId : null),
      ),
    );
    try {
      const infos = await allOrKill(workers, (w, i) =>
        w.call((api) =>
          api.init({
            deviceId: w.deviceId,
            mesh: mesh.toString(),
            backends: backendOrder(devices[i]!, backend),
            nativeBlas,
            commThread,
          }),
        ),
      );
      const ready = await allOrKill(workers, (w) => w.call((api) => api.setup({ ...setup, socketDir })));
      infos.forEach((info, i) =>
        log?.(workerStartLine(info, ready[i]!.storage, setup.fullySharded === true, ready[i]!.commThread)),
      );
      return new MeshSession(mesh, workers, infos, socketDir, options.stallTimeoutMs ?? 120_000);
    } catch (e) {
      await rm(socketDir, { recursive: true, force: true });
      throw e;
    }
  }

  /** Per-step reports of every worker (device 0's carries the run's metrics). */
  onEvent(listener: (event: WorkerEvent) => void): () => void {
    const offs = this.workers.map((w) => w.onEvent(listener));
    return () => offs.forEach((off) => off());
  }

  /** Called once, with the first worker death or stall. */
  onFailure(listener: (e: WorkerFailure) => void): void {
    if (this.failure) listener(this.failure);
    else this.failureListeners.push(listener);
  }

  get pids(): number[] {
    return this.workers.map((w) => w.pid ?? -1);
  }

  /** Runs global steps [from, from+count) on every worker; resolves with device 0's last report. */
  async train(from: number, count: number): Promise<StepReport | null> {
    const started = Date.now();
    this.workers.forEach((w) => this.lastProgress.set(w.deviceId, started));
    const watchdog = setInterval(() => void this.checkStall(), Math.min(1000, this.stallTimeoutMs / 4));
    try {
      const reports = await Promise.race([allOrKill(this.workers, (w) => w.call((api) => api.train(from, count))), this.stalled]);
      return reports[0] ?? null;
    } finally {
      clearInterval(watchdog);
    }
  }

  /** After the timeout without a finished step, a ping round, then the verdict (stall-verdict.ts). */
  private async checkStall(): Promise<void> {
    if (this.checking || this.failure) return;
    const now = Date.now();
    const cpu = new Map(this.workers.map((w) => [w.deviceId, this.cpuShare(w, now)] as const));
    const silentFor = (d: number) => Date.now() - (this.lastProgress.get(d) ?? 0);
    if (!this.workers.some((w) => silentFor(w.deviceId) > this.stallTimeoutMs)) return;
    this.checking = true;
    try {
      const answered = await Promise.all(this.workers.map((w) => answersPing(w)));
      if (this.failure || this.closed) return;
      const verdict = stallVerdict(
        this.workers.map((w, i) => ({
          deviceId: w.deviceId,
          silentMs: silentFor(w.deviceId),
          answeredPing: answered[i]!,
          cpuShare: cpu.get(w.deviceId)!,
        })),
        this.stallTimeoutMs,
      );
      if (verdict.stalled) this.fail(new WorkerStalledError(verdict.deviceId, verdict.silentMs));
      else if (verdict.alive) this.workers.forEach((w) => this.lastProgress.set(w.deviceId, Date.now())); // the clock starts again
    } finally {
      this.checking = false;
    }
  }

  /** Per device: CPU milliseconds and when they were read, at the previous watchdog tick. */
  private readonly cpuSamples = new Map<number, { at: number; ms: number }>();

  /** The share of a core the worker used since the previous tick; null when its CPU time cannot be read. */
  private cpuShare(w: DeviceProcess, now: number): number | null {
    const ms = cpuMillis(w.pid);
    const previous = this.cpuSamples.get(w.deviceId);
    if (ms === null) return null;
    this.cpuSamples.set(w.deviceId, { at: now, ms });
    if (!previous || now <= previous.at) return null;
    return (ms - previous.ms) / (now - previous.at);
  }

  /** Held-out loss and metrics, each worker evaluating its slice; device 0's (all-reduced) figures. */
  async evaluate(): Promise<EvalReport> {
    return (await allOrKill(this.workers, (w) => w.call((api) => api.evaluate())))[0]!;
  }

  async exportShards(): Promise<ShardRecord[]> {
    return (await allOrKill(this.workers, (w) => w.call((api) => api.exportShards()))).flat();
  }

  /** `shardsFor(deviceId)` gives each device its own shards (already resharded to this mesh). */
  async importShards(shardsFor: (deviceId: number) => ShardRecord[], iterations: number): Promise<void> {
    await allOrKill(this.workers, (w) => w.call((api) => api.importShards(shardsFor(w.deviceId), iterations)));
  }

  /** Device 0's view of every variable's path, shape and sharding specs (the same on every device). */
  async variableLayouts(): Promise<VariableLayout[]> {
    return this.workers[0]!.call((api) => api.variableLayouts());
  }

  async stats(): Promise<DeviceStats[]> {
    return allOrKill(this.workers, (w) => w.call((api) => api.stats()));
  }

  /**
   * Kills every worker now (SIGKILL works on a SIGSTOPped one too): a user's second Ctrl-C, which
   * must not wait for a chunk, a checkpoint or the stall watchdog. Pending calls reject.
   */
  abort(): void {
    this.closed = true;
    this.workers.forEach((w) => w.kill());
  }

  /** Stops every worker (politely, then by force) and removes the socket directory. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.stop()));
    await rm(this.socketDir, { recursive: true, force: true });
  }

  private fail(e: WorkerFailure): void {
    if (this.failure) return;
    this.failure = e;
    this.workers.forEach((w) => w.kill());
    this.failureListeners.forEach((l) => l(e));
  }
}

const EXIT_GRACE_MS = 2000;
const PING_TIMEOUT_MS = 2000;
/** Whether the worker answers a ping within PING_TIMEOUT_MS. */
function answersPing(w: DeviceProcess): Promise<boolean> {
  const answer = w
    .call((api) => api.ping())
    .then(
      () => true,
      () => false,
    );
  return Promise.race([answer, delay(PING_TIMEOUT_MS).then(() => false)]);
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/**
 * Runs `fn` on every worker. On the first failure kills them all (so nobody waits on a dead ring) and
 * rethrows the most telling error: a worker that died on its own explains the others' broken rings.
 */
async function allOrKill<T>(workers: DeviceProcess[], fn: (w: DeviceProcess, i: number) => Promise<T>): Promise<T[]> {
  const calls = workers.map(fn);
  try {
    return await Promise.all(calls);
  } catch (first) {
    // A broken ring usually means a peer died and its exit event is still on its way: let it arrive
    // (briefly) before killing the rest, so the error names the cause, not the symptom.
    if (!(first instanceof WorkerDiedError))
      await Promise.race([Promise.any(workers.map((w) => w.exited)), delay(EXIT_GRACE_MS)]);
    workers.forEach((w) => w.kill());
    const reasons = (await Promise.allSettled(calls)).flatMap((s) => (s.status === 'rejected' ? [s.reason as unknown] : []));
    const diedOnItsOwn = reasons.find(
      (r) => r instanceof WorkerDiedError && !workers.find((w) => w.deviceId === r.deviceId)!.killedByCoordinator,
    );
    throw diedOnItsOwn ?? first;
  }
}
