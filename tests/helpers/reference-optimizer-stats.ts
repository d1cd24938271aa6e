/**
 * Adadelta's per-variable figures computed directly from whole (global) values in float64, with exact
 * quantiles from a sort: the reference the workers' sharded, sketched figures are held to.
 */
export interface ReferenceFigures {
  accumulatedGradNorm: number;
  accumulatedDeltaNorm: number;
  /** Exact values at rank ⌊q·(n−1)⌋ of the sorted elements. */
  stepSize: (q: number) => number;
  weights: (q: number) => number;
  updateRatio: number;
  paramNorm: number;
}

const norm = (xs: ArrayLike<number>) => Math.sqrt(Array.from(xs).reduce((a, v) => a + v * v, 0));

function quantiles(values: number[]): (q: number) => number {
  const sorted = [...values].sort((a, b) => a - b);
  return (q) => sorted[Math.floor(q * (sorted.length - 1))]!;
}

export function referenceFigures(
  param: ArrayLike<number>,
  paramBefore: ArrayLike<number>,
  eg: ArrayLike<number>,
  ed: ArrayLike<number>,
  epsilon: number,
): ReferenceFigures {
  const p = Array.from(param);
  const update = p.map((v, i) => v - paramBefore[i]!);
  const steps = p.map((_, i) => Math.sqrt(ed[i]! + epsilon) / Math.sqrt(eg[i]! + epsilon));
  return {
    accumulatedGradNorm: norm(eg),
    accumulatedDeltaNorm: norm(ed),
    stepSize: quantiles(steps),
    weights: quantiles(p),
    updateRatio: norm(update) / norm(p),
    paramNorm: norm(p),
  };
}

/** |got − want| within `rel`·|want| plus `abs` (a sketch's guarantee: relative, with a zero bucket). */
export function within(got: number, want: number, rel: number, abs = 0): boolean {
  return Math.abs(got - want) <= rel * Math.abs(want) + abs;
}
