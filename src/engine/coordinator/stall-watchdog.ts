/**
 * The stall watchdog of a mesh session: a worker that makes no progress for the timeout, without
 * dying (stopped, deadlocked, hung in native code or a blocking GPU call), is named so the run can be
 * stopped. It covers start-up (init, setup) as well as training: a worker stopped before its first
 * step used to hang the run forever.
 */
import { WorkerStalledError, type DeviceProcess } from './device-process';
import { cpuSample } from './process-cpu';

/**
 * What counts as life after the timeout. Training: answering a ping while using CPU (a step longer
 * than the timeout; where CPU time cannot be read, an answer is enough). Starting: using CPU, answer
 * or not (a worker loading its data synchronously cannot answer), or answering where CPU time cannot
 * be read.
 */
export type WatchedPhase = 'training' | 'starting';

const PING_TIMEOUT_MS = 2000;
const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

export class StallWatchdog {
  /** When each device last made progress (a finished step or start-up call, or the phase's start). */
  private readonly lastProgress = new Map<number, number>();
  /** Per device: CPU milliseconds and when they were read, at the first tick after its last progress. */
  private readonly cpuSamples = new Map<number, { at: number; ms: number }>();
  private checking = false;

  constructor(
    private readonly workers: DeviceProcess[],
    private readonly timeoutMs: number,
    /** Whether the session already failed or closed: no verdict then. */
    private readonly over: () => boolean,
    private readonly verdict: (e: WorkerStalledError) => void,
  ) {}

  progressed(deviceId: number): void {
    this.lastProgress.set(deviceId, Date.now());
  }

  /**
   * Checks the workers `waitingOn()` returns (those whose part of the work is not done) every tick
   * until `work` settles; a verdict goes to the session, which kills the workers.
   */
  async watch<T>(work: Promise<T>, phase: WatchedPhase, waitingOn: () => DeviceProcess[]): Promise<T> {
    const started = Date.now();
    this.workers.forEach((w) => this.lastProgress.set(w.deviceId, started));
    const timer = setInterval(() => void this.check(phase, waitingOn), Math.min(1000, this.timeoutMs / 4));
    try {
      return await work;
    } finally {
      clearInterval(timer);
    }
  }

  /**
   * After the timeout, a ping round decides. In lock-step one worker showing life means the others
   * wait for it: no verdict, the clock is reset. Otherwise the stalled one is the worker that did not
   * answer, else the longest silent (all waiting: a deadlock), named with its real silence.
   */
  private async check(phase: WatchedPhase, waitingOn: () => DeviceProcess[]): Promise<void> {
    if (this.checking || this.over()) return;
    const now = Date.now();
    const busy = new Map(this.workers.map((w) => [w.deviceId, this.cpuBusy(w, now)] as const));
    const silentFor = (d: number) => Date.now() - (this.lastProgress.get(d) ?? 0);
    const stale = () => waitingOn().filter((w) => silentFor(w.deviceId) > this.timeoutMs);
    if (stale().length === 0) return;
    this.checking = true;
    try {
      const answered = new Map(await Promise.all(this.workers.map(async (w) => [w.deviceId, await answers(w)] as const)));
      if (this.over()) return;
      const suspects = stale().sort((a, b) => silentFor(b.deviceId) - silentFor(a.deviceId));
      const life = (w: DeviceProcess) => showsLife(phase, answered.get(w.deviceId)!, busy.get(w.deviceId)!);
      const alive = waitingOn().some(life);
      if (suspects.length === 0 || suspects.length < waitingOn().length || alive) {
        if (alive) suspects.forEach((w) => this.lastProgress.set(w.deviceId, Date.now()));
        return;
      }
      const culprit = suspects.find((w) => !answered.get(w.deviceId)) ?? suspects[0]!;
      this.verdict(new WorkerStalledError(culprit.deviceId, silentFor(culprit.deviceId), phase));
    } finally {
      this.checking = false;
    }
  }

  /**
   * Whether the worker is working: running or waiting for a core now, or it used at least a quarter
   * of a core since the first tick after its last progress (a window as long as the silence, so a
   * worker reading files between bursts of work is judged on the whole time). Null when its CPU
   * cannot be read.
   */
  private cpuBusy(w: DeviceProcess, now: number): boolean | null {
    const sample = cpuSample(w.pid);
    if (sample === null) return null;
    if (sample.working) return true;
    const since = this.cpuSamples.get(w.deviceId);
    if (!since || since.at < (this.lastProgress.get(w.deviceId) ?? 0)) {
      this.cpuSamples.set(w.deviceId, { at: now, ms: sample.ms });
      return null;
    }
    return now > since.at ? (sample.ms - since.ms) / (now - since.at) >= 0.25 : null;
  }
}

function showsLife(phase: WatchedPhase, answered: boolean, busy: boolean | null): boolean {
  if (phase === 'starting') return busy === true || (answered && busy === null);
  return answered && busy !== false;
}

function answers(w: DeviceProcess): Promise<boolean> {
  return Promise.race([
    w
      .call((api) => api.ping())
      .then(
        () => true,
        () => false,
      ),
    delay(PING_TIMEOUT_MS).then(() => false),
  ]);
}
