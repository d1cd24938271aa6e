/**
 * Early stopping for one run: feeds each evaluation's monitored value to Keras's rule and remembers
 * the best evaluation. Its state is not stored: after a resume it is replayed from the metric history
 * (the evaluations up to the restored checkpoint), so a paused run stops exactly where an
 * uninterrupted one would.
 */
import {
  initialEarlyStopping,
  observe,
  type EarlyStoppingRule,
  type EarlyStoppingState,
} from '../../core/evaluation/early-stopping';
import type { MetricPoint } from '../../shared/api';

export class EarlyStopMonitor {
  private state: EarlyStoppingState = initialEarlyStopping();
  /** Steps of the evaluations seen, in order. */
  private readonly steps: number[] = [];

  constructor(readonly rule: EarlyStoppingRule & { restoreBest: boolean }) {}

  /** Returns whether this evaluation improved on the best so far and whether the run should stop. */
  observe(step: number, point: MetricPoint): { improved: boolean; stop: boolean } {
    const value = monitoredValue(point, this.rule.monitor);
    const { state, improved, stop } = observe(this.state, value, this.rule);
    this.state = state;
    this.steps.push(step);
    return { improved, stop };
  }

  /** Replays the evaluations recorded at `evalSteps` (ascending) from the stored points. */
  replay(points: MetricPoint[], evalSteps: (step: number) => boolean): void {
    for (const p of points) if (evalSteps(p.step)) this.observe(p.step, p);
  }

  get best(): { step: number; value: number } | null {
    return this.state.best === null ? null : { step: this.steps[this.state.bestIndex]!, value: this.state.best };
  }

  reason(step: number): string {
    const best = this.best;
    return `early-stopped at step ${step}; best step ${best?.step} ${this.rule.monitor} ${best?.value.toPrecision(6)}`;
  }
}

/** A point's value of a metric by Keras name (`loss`, `accuracy`, `val_loss`, …); NaN if absent. */
export function monitoredValue(point: MetricPoint, name: string): number {
  if (name === 'loss') return point.loss;
  return point.metrics[name] ?? NaN;
}
