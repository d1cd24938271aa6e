/**
 * The stall watchdog of a mesh session: a worker that makes no progress for the timeout, without
 * dying (stopped, deadlocked, hung in native code or a blocking GPU call), is named so the run can be
 * stopped. It covers start-up (init, setup) as well as training: a worker stopped before its first
 * step used to hang the run forever.
 */
import { WorkerStalledError, type DeviceProcess } from './device-process';
import { cpuSample } from './process-cpu';
import { stallVerdict, type WatchedPhase } from './stall-verdict';

export type { WatchedPhase };

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
   * After the timeout, a ping round, then the verdict (stall-verdict.ts) over the workers whose part
   * of the work is not done; a worker showing life starts the clock again for all of them.
   */
  private async check(phase: WatchedPhase, waitingOn: () => DeviceProcess[]): Promise<void> {
    if (this.checking || this.over()) return;
    const now = Date.now();
    const cpu = new Map(this.workers.map((w) => [w.deviceId, this.cpuShare(w, now)] as const));
    const silentFor = (d: number) => Date.now() - (this.lastProgress.get(d) ?? 0);
    if (!waitingOn().some((w) => silentFor(w.deviceId) > this.timeoutMs)) return;
    this.checking = true;
    try {
      const answered = new Map(await Promise.all(this.workers.map(async (w) => [w.deviceId, await answers(w)] as const)));
      if (this.over()) return;
      const waiting = waitingOn();
      const verdict = stallVerdict(
        waiting.map((w) => ({
          deviceId: w.deviceId,
          silentMs: silentFor(w.deviceId),
          answeredPing: answered.get(w.deviceId)!,
          ...cpu.get(w.deviceId)!,
        })),
        this.timeoutMs,
        phase,
      );
      if (verdict.stalled) this.verdict(new WorkerStalledError(verdict.deviceId, verdict.silentMs, phase));
      else if (verdict.alive) waiting.forEach((w) => this.lastProgress.set(w.deviceId, Date.now()));
    } finally {
      this.checking = false;
    }
  }

  /**
   * Whether the worker is running now, and the share of a core it used since the first tick after its
   * last progress (a window as long as the silence, so a worker reading files between bursts of work
   * is judged on the whole time); a null share where CPU time cannot be read.
   */
  private cpuShare(w: DeviceProcess, now: number): { cpuShare: number | null; working: boolean } {
    const sample = cpuSample(w.pid);
    if (sample === null) return { cpuShare: null, working: false };
    const since = this.cpuSamples.get(w.deviceId);
    if (!since || since.at < (this.lastProgress.get(w.deviceId) ?? 0)) {
      this.cpuSamples.set(w.deviceId, { at: now, ms: sample.ms });
      return { cpuShare: null, working: sample.working };
    }
    return { cpuShare: now > since.at ? (sample.ms - since.ms) / (now - since.at) : null, working: sample.working };
  }
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
