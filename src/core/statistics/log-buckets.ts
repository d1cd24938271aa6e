/**
 * A histogram with fixed, logarithmically spaced buckets (the idea behind TensorBoard's histogram
 * buckets and DDSketch). Bucket k of either sign holds magnitudes in (m·γ^(k−1), m·γ^k]; magnitudes up
 * to m share one zero bucket, NaN has its own. The boundaries never depend on the data, so two sketches
 * merge by adding their counts: a sharded tensor's sketch is the sum of its shards' sketches, the same
 * on any device count, and an all-reduce of the counts is the whole merge. A quantile read back is
 * within a relative error (γ−1)/(γ+1) of the true value at that rank (about 2% here).
 */

/** Bucket growth factor γ. */
export const GAMMA = 1.04;
/** Magnitudes at or below this count as zero. */
export const MIN_MAGNITUDE = 1e-10;
/** Magnitudes above this are counted in the outermost bucket. */
export const MAX_MAGNITUDE = 1e8;

const LOG_GAMMA = Math.log(GAMMA);
/** Buckets per sign. */
export const BUCKETS_PER_SIGN = Math.ceil(Math.log(MAX_MAGNITUDE / MIN_MAGNITUDE) / LOG_GAMMA);
/** Index of the zero bucket; negatives below it (largest magnitude first), positives above. */
export const ZERO_BUCKET = BUCKETS_PER_SIGN;
const NAN_BUCKET = 2 * BUCKETS_PER_SIGN + 1;
/** Length of a sketch's count array (every bucket in value order, then NaN). */
export const SKETCH_LENGTH = NAN_BUCKET + 1;
/** The largest relative error of a quantile read from a sketch. */
export const RELATIVE_ACCURACY = (GAMMA - 1) / (GAMMA + 1);

/** The bucket a value falls in. */
export function bucketOf(value: number): number {
  if (Number.isNaN(value)) return NAN_BUCKET;
  const magnitude = Math.abs(value);
  if (magnitude <= MIN_MAGNITUDE) return ZERO_BUCKET;
  const k = Math.min(BUCKETS_PER_SIGN, Math.max(1, Math.ceil(Math.log(magnitude / MIN_MAGNITUDE) / LOG_GAMMA)));
  return value > 0 ? ZERO_BUCKET + k : ZERO_BUCKET - k;
}

/** The value a bucket stands for: the point of least relative error inside it (DDSketch's 2γ^k/(γ+1)). */
export function bucketValue(index: number): number {
  if (index === ZERO_BUCKET) return 0;
  const k = Math.abs(index - ZERO_BUCKET);
  const magnitude = (MIN_MAGNITUDE * 2 * GAMMA ** k) / (GAMMA + 1);
  return index > ZERO_BUCKET ? magnitude : -magnitude;
}

/** Adds `count` observations of `value` to the sketch at `offset` of `counts`. */
export function addToSketch(counts: Float64Array, offset: number, value: number, count = 1): void {
  counts[offset + bucketOf(value)]! += count;
}

/** Finite observations in the sketch (NaN excluded). */
export function sketchCount(counts: ArrayLike<number>, offset = 0): number {
  let n = 0;
  for (let i = 0; i < NAN_BUCKET; i++) n += counts[offset + i]!;
  return n;
}

/**
 * The value at each quantile q ∈ [0, 1] (ascending qs): the bucket holding the element of rank
 * ⌊q·(n−1)⌋ of the finite values in ascending order. NaN for an empty sketch.
 */
export function sketchQuantiles(counts: ArrayLike<number>, qs: readonly number[], offset = 0): number[] {
  const n = sketchCount(counts, offset);
  if (n === 0) return qs.map(() => Number.NaN);
  const out: number[] = [];
  let seen = 0;
  let bucket = 0;
  for (const q of qs) {
    const rank = Math.floor(q * (n - 1));
    while (seen + counts[offset + bucket]! <= rank) seen += counts[offset + bucket++]!;
    out.push(bucketValue(bucket));
  }
  return out;
}

export interface Histogram {
  /** bins + 1 ascending edges. */
  edges: number[];
  counts: number[];
}

/**
 * The sketch re-binned into `bins` equal-width bins between its smallest and largest bucket values
 * (each bucket's count goes to the bin holding its value), for drawing.
 */
export function sketchHistogram(counts: ArrayLike<number>, bins: number, offset = 0): Histogram {
  let lo = -1;
  let hi = -1;
  for (let i = 0; i < NAN_BUCKET; i++) {
    if (counts[offset + i]! === 0) continue;
    if (lo < 0) lo = i;
    hi = i;
  }
  if (lo < 0) return { edges: [], counts: [] };
  const min = bucketValue(lo);
  const max = bucketValue(hi);
  const width = max > min ? (max - min) / bins : 1;
  const start = max > min ? min : min - width / 2;
  const n = max > min ? bins : 1;
  const out = new Array<number>(n).fill(0);
  for (let i = lo; i <= hi; i++) {
    const c = counts[offset + i]!;
    if (c === 0) continue;
    out[Math.min(n - 1, Math.floor((bucketValue(i) - start) / width))]! += c;
  }
  return { edges: Array.from({ length: n + 1 }, (_, i) => start + i * width), counts: out };
}
