/**
 * A run's metric history as chart columns, fed by `getMetrics` and then by `metrics` events. Points
 * at or before the last known step replace the tail (a run resumed from an earlier checkpoint
 * re-does those steps), so the curves always show one value per step.
 */
import type { MetricPoint } from '../../../../shared/api';
import { SeriesStore, lowerBound } from '../../charts/series-store';

export const BASE_COLUMNS = ['step', 'time', 'loss', 'learningRate', 'gradNorm', 'samplesPerSec', 'stepTimeMs'] as const;
export const metricColumn = (name: string): string => `metric:${name}`;

export class RunMetrics {
  readonly store = new SeriesStore(BASE_COLUMNS, 4096);
  readonly metricNames: string[] = [];

  get lastStep(): number {
    return this.store.last('step') ?? -1;
  }

  /** Appends points; returns true when a new metric name appeared (charts need a new series). */
  append(points: MetricPoint[]): boolean {
    let newMetric = false;
    // One point for a step already shown, before the newest: an evaluation's val_* figures merged
    // into that step. Update it in place; truncating would drop the steps trained since.
    if (points.length === 1 && points[0].step < this.lastStep) {
      const at = lowerBound(this.store.column('step'), points[0].step);
      if (this.store.column('step')[at] === points[0].step) {
        for (const name of Object.keys(points[0].metrics)) {
          if (this.store.addColumn(metricColumn(name))) {
            this.metricNames.push(name);
            newMetric = true;
          }
        }
        const row: Record<string, number> = {};
        for (const [name, v] of Object.entries(points[0].metrics)) row[metricColumn(name)] = v;
        this.store.update(at, row);
        return newMetric;
      }
    }
    if (points.length > 0 && points[0].step <= this.lastStep) {
      this.store.truncate(lowerBound(this.store.column('step'), points[0].step));
    }
    const row: Record<string, number> = {};
    for (const p of points) {
      if (p.step <= this.lastStep) continue; // out-of-order duplicate within a batch
      for (const name of Object.keys(p.metrics)) {
        if (this.store.addColumn(metricColumn(name))) {
          this.metricNames.push(name);
          newMetric = true;
        }
      }
      for (const key of Object.keys(row)) delete row[key];
      row.step = p.step;
      row.time = p.time;
      row.loss = p.loss;
      row.learningRate = p.learningRate;
      row.gradNorm = p.gradNorm;
      row.samplesPerSec = p.samplesPerSec;
      row.stepTimeMs = p.stepTimeMs;
      for (const [name, v] of Object.entries(p.metrics)) row[metricColumn(name)] = v;
      this.store.append(row);
    }
    return newMetric;
  }

  /** Milliseconds per step over the recent window (wall time between reports, so it counts overheads). */
  msPerStep(window = 50): number | null {
    const n = this.store.length;
    if (n < 2) return null;
    const steps = this.store.column('step');
    const times = this.store.column('time');
    const k = Math.max(0, n - 1 - window);
    const dStep = steps[n - 1] - steps[k];
    const dTime = times[n - 1] - times[k];
    return dStep > 0 && dTime > 0 ? dTime / dStep : null;
  }

  /** Estimated time to reach `totalSteps`, or null when unknown. */
  etaMs(totalSteps: number): number | null {
    const perStep = this.msPerStep();
    if (perStep === null) return null;
    return Math.max(0, totalSteps - 1 - this.lastStep) * perStep;
  }
}
