/**
 * Aligns several runs' curves of one metric on one step axis for an overlay chart: the union of
 * their steps, NaN where a run has no point (a gap in its line). Linear merge, since steps ascend.
 */
import type uPlot from 'uplot';
import type { MetricPoint } from '../../../../shared/api';

/** A point's per-step figures besides loss and the model's metrics, by their MetricPoint field. */
export const STEP_FIELDS = ['learningRate', 'gradNorm', 'samplesPerSec', 'stepTimeMs'] as const;
type StepField = (typeof STEP_FIELDS)[number];
const isStepField = (m: string): m is StepField => (STEP_FIELDS as readonly string[]).includes(m);

/** The value a point holds for `metric` ('loss', a step field such as 'gradNorm', or a metrics key such as 'val_accuracy'). */
export function metricValue(p: MetricPoint, metric: string): number {
  const v = metric === 'loss' ? p.loss : isStepField(metric) ? p[metric] : p.metrics[metric];
  return typeof v === 'number' && Number.isFinite(v) ? v : Number.NaN;
}

export function joinCurves(runs: MetricPoint[][], metric = 'loss'): uPlot.AlignedData {
  const steps = new Set<number>();
  for (const points of runs) for (const p of points) steps.add(p.step);
  const x = Float64Array.from([...steps].sort((a, b) => a - b));
  const ys = runs.map((points) => {
    const y = new Float64Array(x.length).fill(NaN);
    let j = 0;
    for (const p of points) {
      while (j < x.length && x[j] < p.step) j++;
      if (j < x.length && x[j] === p.step) y[j] = metricValue(p, metric);
    }
    return y;
  });
  return [x, ...ys];
}

/** Every metric name any run reported, loss first, in first-seen order. */
export function metricNames(runs: MetricPoint[][]): string[] {
  const names = new Set<string>(['loss']);
  for (const points of runs) for (const p of points) for (const k of Object.keys(p.metrics)) names.add(k);
  return [...names];
}

/** Min and max of the finite values in the y columns (the chart's range when its own is NaN). */
export function finiteRange(columns: ArrayLike<number | null | undefined>[]): [number, number] | null {
  let min = Infinity;
  let max = -Infinity;
  for (const col of columns) {
    for (let i = 0; i < col.length; i++) {
      const v = col[i];
      if (typeof v === 'number' && Number.isFinite(v)) {
        if (v < min) min = v;
        if (v > max) max = v;
      }
    }
  }
  return min <= max ? [min, max] : null;
}
