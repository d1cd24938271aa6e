/**
 * What the run controller keeps beside the metrics: the workers' optimizer-state figures, each
 * device's latest step report sampled into the per-device history about once a second (both written
 * and streamed with the metrics), and the pause a paced run (`minStepMs`) takes after a chunk.
 */
import type { DeviceHistoryPoint, OptimizerStatsPoint, TrainerEvent } from '../../shared/api';
import type { StepReport } from '../../shared/worker-protocol';
import type { RunStore } from '../store/index';

/** At most one sample per device this often (as W&B samples system metrics): a long run stays small. */
export const DEVICE_SAMPLE_MS = 1000;

export class DeviceSampler {
  private readonly latest = new Map<number, { report: StepReport; time: number }>();
  private readonly taken = new Map<number, number>();
  private lastSample = 0;

  constructor(private readonly now: () => number = Date.now) {}

  observe(deviceId: number, report: StepReport): void {
    this.latest.set(deviceId, { report, time: this.now() });
  }

  /** The devices' newest reports not sampled yet, when a second has passed since the last sample (or `force`). */
  take(force: boolean): DeviceHistoryPoint[] {
    const now = this.now();
    if (!force && now - this.lastSample < DEVICE_SAMPLE_MS) return [];
    const out: DeviceHistoryPoint[] = [];
    for (const [deviceId, { report: r, time }] of this.latest) {
      if (this.taken.get(deviceId) === r.step || r.rssBytes === undefined) continue;
      this.taken.set(deviceId, r.step);
      const examples = r.deviceExamples ?? 0;
      out.push({
        step: r.step + 1,
        time,
        deviceId,
        stepTimeMs: r.stepTimeMs,
        samplesPerSec: r.stepTimeMs > 0 ? (examples * 1000) / r.stepTimeMs : 0,
        rssBytes: r.rssBytes,
        peakRssBytes: r.peakRssBytes ?? r.rssBytes,
      });
    }
    if (out.length > 0) this.lastSample = now;
    return out.sort((a, b) => a.deviceId - b.deviceId);
  }
}

export class RunHistoryRecorder {
  private pendingStats: OptimizerStatsPoint[] = [];
  private readonly devices: DeviceSampler;

  constructor(
    private readonly store: RunStore,
    private readonly runId: string,
    private readonly emit: (e: TrainerEvent) => void,
    now: () => number = Date.now,
  ) {
    this.devices = new DeviceSampler(now);
  }

  /** Every device's report (its memory and step time). */
  observe(deviceId: number, report: StepReport): void {
    this.devices.observe(deviceId, report);
  }

  /** Device 0's report: the optimizer figures it carries at a measured step (labelled step + 1). */
  record(r: StepReport): void {
    if (r.optimizerStats) this.pendingStats.push({ step: r.step + 1, time: Date.now(), variables: r.optimizerStats });
  }

  /** Writes and streams what is pending; `final` (the run's end) also takes the last device samples. */
  flush(final: boolean): void {
    if (this.pendingStats.length > 0) {
      const stats = this.pendingStats;
      this.pendingStats = [];
      this.store.appendOptimizerStats(this.runId, stats);
      this.emit({ type: 'optimizer-stats', runId: this.runId, points: stats });
    }
    const samples = this.devices.take(final);
    if (samples.length === 0) return;
    this.store.appendDeviceHistory(this.runId, samples);
    this.emit({ type: 'device-history', runId: this.runId, points: samples });
  }
}

/** How long to wait after a chunk of `steps` that took `elapsedMs`, so it lasts at least steps × minStepMs. */
export function paceDelayMs(steps: number, minStepMs: number | undefined, elapsedMs: number): number {
  if (!minStepMs || minStepMs <= 0) return 0;
  return Math.max(0, steps * minStepMs - elapsedMs);
}
