/**
 * The worker's running account of its steps: time per phase and host bytes copied (from its compute
 * context's copy meter), summed since setup. The benchmark reads it through stats() to show where
 * a step's time goes and that removed copies stay removed.
 */
import { copiesBetween, type CopyMeter, type CopyTotals } from '../core/metering/copy-meter';
import { defaultContext } from '../core/context';
import type { StepProfile } from '../shared/api';

export type StepPhase = keyof StepProfile['phaseMs'];

export class StepProfiler {
  private steps = 0;
  private readonly phaseMs: StepProfile['phaseMs'] = { compute: 0, reduceScatter: 0, scalars: 0, optimizer: 0, allGather: 0 };
  private copied: CopyTotals = { download: 0, upload: 0, pack: 0, shard: 0, kernel: 0 };
  private last = 0;
  private copiesAtStart: CopyTotals;

  constructor(private readonly copies: CopyMeter = defaultContext.copies) {
    this.copiesAtStart = copies.totals();
  }

  /** Starts a step's clock. */
  begin(): void {
    this.copiesAtStart = this.copies.totals();
    this.last = performance.now();
  }

  /** Charges the time since the previous mark (or begin) to `phase`. */
  mark(phase: StepPhase): void {
    const now = performance.now();
    this.phaseMs[phase] += now - this.last;
    this.last = now;
  }

  /**
   * Moves `ms` of the time since the last mark to `phase` (a wait inside another phase: the
   * all-gather waited for during forward); the next mark charges only the rest.
   */
  charge(phase: StepPhase, ms: number): void {
    this.phaseMs[phase] += ms;
    this.last += ms;
  }

  /** Ends a step: its copies are the meter's growth since begin(). */
  end(): void {
    const d = copiesBetween(this.copiesAtStart, this.copies.totals());
    for (const k of Object.keys(d) as (keyof CopyTotals)[]) this.copied[k] += d[k];
    this.steps += 1;
  }

  snapshot(): StepProfile {
    return { steps: this.steps, phaseMs: { ...this.phaseMs }, copiedBytes: { ...this.copied } };
  }
}
