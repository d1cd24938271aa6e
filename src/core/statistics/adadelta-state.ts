/**
 * What Adadelta's state says about one variable, as sums over its elements that add across shards:
 * the squared norms of accumulated_grad (E[g²]) and accumulated_delta_var (E[Δx²]), of the last update
 * Δθ and of the parameter θ, a sketch of the effective step size sqrt(E[Δx²]+ε)/sqrt(E[g²]+ε) (the
 * factor Adadelta multiplies each gradient element by, before the learning rate), and a sketch of θ.
 * Each device fills a record from the shards it owns; an all-reduce sum of the records is exact for
 * the sketches (integer counts) and a float64 sum for the norms, so every device count gives the
 * unsharded figures.
 */
import { SKETCH_LENGTH, addToSketch, sketchHistogram, sketchQuantiles, type Histogram } from './log-buckets';

type Floats = ArrayLike<number>;

/** One variable's shard after an update, with its values before it. */
export interface AdadeltaShard {
  param: Floats;
  paramBefore: Floats;
  /** E[g²] after the update. */
  accumulatedGrad: Floats;
  /** E[Δx²] after the update. */
  accumulatedDelta: Floats;
}

const SUMS = ['accGradSq', 'accDeltaSq', 'updateSq', 'paramSq', 'count'] as const;
const STEP_SKETCH = SUMS.length;
const WEIGHT_SKETCH = STEP_SKETCH + SKETCH_LENGTH;
/** Float64s per variable in a record. */
export const RECORD_LENGTH = WEIGHT_SKETCH + SKETCH_LENGTH;

/** Adds a shard's sums and sketch counts into the variable's record at `offset` of `out`. */
export function addShard(shard: AdadeltaShard, epsilon: number, out: Float64Array, offset: number): void {
  const { param, paramBefore, accumulatedGrad: eg, accumulatedDelta: ed } = shard;
  let accGradSq = 0;
  let accDeltaSq = 0;
  let updateSq = 0;
  let paramSq = 0;
  for (let i = 0; i < param.length; i++) {
    const g = eg[i]!; // E[g²]
    const d = ed[i]!; // E[Δx²]
    const p = param[i]!;
    const step = p - paramBefore[i]!;
    accGradSq += g * g;
    accDeltaSq += d * d;
    updateSq += step * step;
    paramSq += p * p;
    addToSketch(out, offset + STEP_SKETCH, Math.sqrt(d + epsilon) / Math.sqrt(g + epsilon));
    addToSketch(out, offset + WEIGHT_SKETCH, p);
  }
  out[offset]! += accGradSq;
  out[offset + 1]! += accDeltaSq;
  out[offset + 2]! += updateSq;
  out[offset + 3]! += paramSq;
  out[offset + 4]! += param.length;
}

/** TensorBoard's distribution bands: min, ±1.5σ, ±1σ, ±0.5σ of a normal, median, max. */
export const WEIGHT_QUANTILES = [0, 0.0668, 0.1587, 0.3085, 0.5, 0.6915, 0.8413, 0.9332, 1] as const;
/** The effective step size's band and median. */
export const STEP_QUANTILES = [0.1, 0.25, 0.5, 0.75, 0.9] as const;

export interface VariableStateFigures {
  path: string;
  size: number;
  /** ‖E[g²]‖₂ and ‖E[Δx²]‖₂. */
  accumulatedGradNorm: number;
  accumulatedDeltaNorm: number;
  /** Quantiles of sqrt(E[Δx²]+ε)/sqrt(E[g²]+ε) over the elements, at STEP_QUANTILES. */
  stepSize: number[];
  /** ‖Δθ‖₂ / ‖θ‖₂ of the last update. */
  updateRatio: number;
  paramNorm: number;
  /** θ at WEIGHT_QUANTILES, and re-binned for a histogram. */
  weightQuantiles: number[];
  weightHistogram: Histogram;
}

/** Histogram bins for n values: about 2·(log2 n + 1) (Sturges, doubled), from 6 to 30. */
export function histogramBins(n: number): number {
  return Math.min(30, Math.max(6, 2 * Math.ceil(Math.log2(Math.max(1, n)) + 1)));
}

/** The figures of the (reduced) record at `offset`. */
export function figuresOf(path: string, record: Float64Array, offset: number): VariableStateFigures {
  const paramNorm = Math.sqrt(record[offset + 3]!);
  const bins = histogramBins(record[offset + 4]!);
  return {
    path,
    size: record[offset + 4]!,
    accumulatedGradNorm: Math.sqrt(record[offset]!),
    accumulatedDeltaNorm: Math.sqrt(record[offset + 1]!),
    stepSize: sketchQuantiles(record, STEP_QUANTILES, offset + STEP_SKETCH),
    updateRatio: paramNorm > 0 ? Math.sqrt(record[offset + 2]!) / paramNorm : Number.NaN,
    paramNorm,
    weightQuantiles: sketchQuantiles(record, WEIGHT_QUANTILES, offset + WEIGHT_SKETCH),
    weightHistogram: sketchHistogram(record, bins, offset + WEIGHT_SKETCH),
  };
}
