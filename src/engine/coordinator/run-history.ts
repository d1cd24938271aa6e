/**
 * What the run controller keeps beside the metrics: each device's latest step report, sampled into
 * the per-device history about once a second, and the pause a paced run (`minStepMs`) takes after a chunk.
 */
import type { DeviceHistoryPoint } from '../../shared/api';
import type { StepReport } from '../../shared/worker-protocol';

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

/** How long to wait after a chunk of `steps` that took `elapsedMs`, so it lasts at least steps × minStepMs. */
export function paceDelayMs(steps: number, minStepMs: number | undefined, elapsedMs: number): number {
  if (!minStepMs || minStepMs <= 0) return 0;
  return Math.max(0, steps * minStepMs - elapsedMs);
}
