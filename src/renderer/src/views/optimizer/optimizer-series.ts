/**
 * One variable's Adadelta figures over a run's recorded steps, as chart columns (pure: unit-tested
 * without a DOM). Points arrive in step order; a step recorded again (a resumed run) replaces the tail.
 */
import type { OptimizerStatsPoint, OptimizerVariableStats } from '../../../../shared/api';

export interface VariableSeries {
  steps: Float64Array;
  times: Float64Array;
  accumulatedGradNorm: Float64Array;
  accumulatedDeltaNorm: Float64Array;
  /** Effective step size at the 10th, 25th, 50th, 75th and 90th percentiles. */
  stepSize: Float64Array[];
  updateRatio: Float64Array;
  /** θ at TensorBoard's nine distribution percentiles. */
  weights: Float64Array[];
}

/** Appends `incoming` to `points`, dropping any recorded step at or after the first incoming one. */
export function mergePoints(points: OptimizerStatsPoint[], incoming: OptimizerStatsPoint[]): OptimizerStatsPoint[] {
  if (incoming.length === 0) return points;
  const first = incoming[0]!.step;
  return [...points.filter((p) => p.step < first), ...incoming];
}

/** The variables of the newest point, in the model's order. */
export function variablePaths(points: readonly OptimizerStatsPoint[]): string[] {
  return points.at(-1)?.variables.map((v) => v.path) ?? [];
}

/** The layer a variable belongs to: `dense_1.kernel` → `dense_1`, `dense/kernel` → `dense`. */
export function layerOf(path: string): string {
  const cut = Math.max(path.lastIndexOf('.'), path.lastIndexOf('/'));
  return cut > 0 ? path.slice(0, cut) : path;
}

export function variableSeries(points: readonly OptimizerStatsPoint[], path: string): VariableSeries {
  const rows = points.flatMap((p) => {
    const v = p.variables.find((x) => x.path === path);
    return v ? [{ step: p.step, time: p.time, v }] : [];
  });
  const col = (pick: (v: OptimizerVariableStats) => number) => Float64Array.from(rows, (r) => pick(r.v));
  return {
    steps: Float64Array.from(rows, (r) => r.step),
    times: Float64Array.from(rows, (r) => r.time),
    accumulatedGradNorm: col((v) => v.accumulatedGradNorm),
    accumulatedDeltaNorm: col((v) => v.accumulatedDeltaNorm),
    stepSize: [0, 1, 2, 3, 4].map((i) => col((v) => v.stepSize[i] ?? Number.NaN)),
    updateRatio: col((v) => v.updateRatio),
    weights: Array.from({ length: 9 }, (_, i) => col((v) => v.weightQuantiles[i] ?? Number.NaN)),
  };
}
