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
import { StallWatchdog, type WatchedPhase } from './stall-watchdog';
import { TRANSFER_CHUNK_BYTES, pullShards, pushShards } from './shard-transfer';
import { workerStartLine } from './worker-log';

export interface MeshSessionOptions {
  host: ProcessHost;
  workerEntry: string;
  mesh: Mesh;
  /** One per mesh device, in mesh device order. */
  devices: DeviceInfo[];
  /** A worker without a finished step for this long is declared stalled (default 120 s). */
  stallTimeoutMs?: number;
  /** Most bytes of shard values per call to a worker (default TRANSFER_CHUNK_BYTES; tests lower it). */
  transferChunkBytes?: number;
  log?: (line: string) => void;
}

export class MeshSession {
  private failure: WorkerFailure | undefined;
  private readonly failureListeners: ((e: WorkerFailure) => void)[] = [];
  private closed = false;
  /** Rejects once, when the watchdog declares a worker stalled; every watched call races it. */
  private readonly stalled: Promise<never>;
  private readonly watchdog: StallWatchdog;
  private readonly chunkBytes: number;
  private started: WorkerInfo[] | undefined;

  private constructor(
    readonly mesh: Mesh,
    private readonly workers: DeviceProcess[],
    private readonly socketDir: string,
    private readonly options: MeshSessionOptions,
  ) {
    this.chunkBytes = options.transferChunkBytes ?? TRANSFER_CHUNK_BYTES;
    this.watchdog = new StallWatchdog(
      workers,
      options.stallTimeoutMs ?? 120_000,
      () => this.failure !== undefined || this.closed,
      (e) => this.fail(e),
    );
    this.onEvent((e) => e.type === 'step' && this.watchdog.progressed(e.deviceId));
    this.stalled = new Promise<never>((_, reject) => this.onFailure((e) => e instanceof WorkerStalledError && reject(e)));
    this.stalled.catch(() => undefined); // observed through the watched calls; no unhandled rejection when idle
    for (const w of workers) void w.exited.then((exit) => !this.closed && this.fail(new WorkerDiedError(w.deviceId, exit)));
  }

  /**
   * Forks one worker per mesh device and returns at once, before they are ready: whoever holds the
   * session can abort() it while the workers start (a second Ctrl-C). ready() starts them.
   */
  static async launch(options: MeshSessionOptions): Promise<MeshSession> {
    const { host, workerEntry, mesh, devices } = options;
    if (devices.length !== mesh.size)
      throw new Error(`the mesh ${mesh} has ${mesh.size} devices but ${devices.length} were given`);
    await sweepOrphanSocketDirs();
    const socketDir = await createSocketDir();
    const workers = mesh.deviceIds.map((id, i) =>
      DeviceProcess.start(
        host,
        workerEntry,
        id,
        workerEnv(devices[i]!, devices[i]!.kind === 'GPU' ? devices[i]!.deviceId : null),
      ),
    );
    return new MeshSession(mesh, workers, socketDir, options);
  }

  /** launch() and ready(): a session whose workers are set up, or an error with every worker gone. */
  static async start(options: MeshSessionOptions, setup: Omit<TrainSetup, 'socketDir'>): Promise<MeshSession> {
    const session = await MeshSession.launch(options);
    await session.ready(setup);
    return session;
  }

  /**
   * Starts the workers (backend, then model, data and ring) under the stall watchdog. On any failure
   * every worker is killed and the socket folder removed before it throws.
   */
  async ready(setup: Omit<TrainSetup, 'socketDir'>): Promise<void> {
    const { devices, log } = this.options;
    const { backend, nativeBlas, commThread } = setup.compute;
    const workers = this.workers;
    try {
      const infos = await this.startPhase((w, i) =>
        w.call((api) =>
          api.init({
            deviceId: w.deviceId,
            mesh: this.mesh.toString(),
            backends: backendOrder(devices[i]!, backend),
            nativeBlas,
            commThread,
          }),
        ),
      );
      const ready = await this.startPhase((w) => w.call((api) => api.setup({ ...setup, socketDir: this.socketDir })));
      infos.forEach((info, i) =>
        log?.(workerStartLine(info, ready[i]!.storage, setup.fullySharded === true, ready[i]!.commThread)),
      );
      this.started = infos;
    } catch (e) {
      this.abort();
      await Promise.all(workers.map((w) => w.exited));
      await rm(this.socketDir, { recursive: true, force: true });
      throw this.failure ?? e;
    }
  }

  /** What each worker reported when it started (backend, pid, notes). */
  get infos(): WorkerInfo[] {
    if (!this.started) throw new Error('internal: the mesh session has not started');
    return this.started;
  }

  /** One start-up call on every worker, watched: a worker that finishes its call is no longer waited on. */
  private startPhase<T>(fn: (w: DeviceProcess, i: number) => Promise<T>): Promise<T[]> {
    const waiting = new Set(this.workers);
    const work = allOrKill(this.workers, (w, i) =>
      fn(w, i).then((r) => {
        waiting.delete(w);
        this.watchdog.progressed(w.deviceId);
        return r;
      }),
    );
    return this.watched(work, 'starting', () => [...waiting]);
  }

  private async watched<T>(work: Promise<T>, phase: WatchedPhase, waitingOn: () => DeviceProcess[]): Promise<T> {
    return Promise.race([this.watchdog.watch(work, phase, waitingOn), this.stalled]);
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
    const work = allOrKill(this.workers, (w) => w.call((api) => api.train(from, count)));
    const reports = await this.watched(work, 'training', () => this.workers);
    return reports[0] ?? null;
  }

  /** Held-out loss and metrics, each worker evaluating its slice; device 0's (all-reduced) figures. */
  async evaluate(): Promise<EvalReport> {
    return (await allOrKill(this.workers, (w) => w.call((api) => api.evaluate())))[0]!;
  }

  /** Every device's primary shards; their values arrive in bounded pieces (shard-transfer.ts). */
  async exportShards(): Promise<ShardRecord[]> {
    return (await allOrKill(this.workers, (w) => pullShards((fn) => w.call(fn), this.chunkBytes))).flat();
  }

  /** `shardsFor(deviceId)` gives each device its own shards (already resharded to this mesh). */
  async importShards(shardsFor: (deviceId: number) => ShardRecord[], iterations: number): Promise<void> {
    await allOrKill(this.workers, (w) => pushShards((fn) => w.call(fn), shardsFor(w.deviceId), iterations, this.chunkBytes));
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
