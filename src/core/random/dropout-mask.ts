/**
 * The dropout mask, a pure function of (seed, layer, example): every device draws the same mask for
 * the same example whatever the mesh. Its own module so the JSON-spec forward pass and the Keras graph
 * layers share it without importing each other.
 */
import { GOLDEN, highWordKey, streamKey } from './counter';

const TWO_32 = 0x100000000;

/** prng's fmix32 in int32 arithmetic only (its uint32 result leaves the small-integer range in a hot loop). */
function mix(x: number): number {
  let h = x;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** counterUint32(key, hi·2³² + lo) >>> 8, given k = highWordKey(key, hi). */
function high24(k: number, lo: number): number {
  return mix(mix((k + Math.imul(lo, GOLDEN)) | 0) ^ k) >>> 8;
}

/**
 * mask[at + i] for counters lo0 + i (i < n) of one run sharing the high word folded into k:
 * scale where u >>> 8 >= threshold, else 0 (the sign bit of threshold − 1 − u: no branch to
 * mispredict on random bits).
 */
export function fillMaskRun(
  mask: Float32Array,
  at: number,
  k: number,
  lo0: number,
  n: number,
  threshold: number,
  scale: number,
): void {
  for (let i = 0; i < n; i++) mask[at + i] = ((threshold - 1 - high24(k, (lo0 + i) | 0)) >>> 31) * scale;
}

/** The integer keep threshold: counterUniform is (u >>> 8)·2⁻²⁴ exactly, so it is >= rate iff u >>> 8 >= ceil(rate·2²⁴). */
export const keepThreshold = (rate: number): number => Math.ceil(rate * 16777216);

/**
 * Inverted-dropout mask (0 or 1/(1-rate)) for `batch` examples of `features` elements each: element
 * (b, j) keeps iff counterUniform(key, (offset + b)·features + j) >= rate. The loop compares integers
 * instead (keepThreshold), without a branch, in int32 arithmetic, with the counter's high word hoisted:
 * the element-by-element loop over counterUniform took ~3 ms for a [256, 512] mask (once per dropout
 * layer and step), this ~4× less. On wasm the DropoutMask kernel makes the same bits on the heap.
 */
export function dropoutMask(
  rate: number,
  seed: number,
  layerIndex: number,
  offset: number,
  batch: number,
  features: number,
): Float32Array {
  const key = streamKey(seed, layerIndex);
  const scale = 1 / (1 - rate);
  const threshold = keepThreshold(rate);
  const mask = new Float32Array(batch * features);
  let start = offset * features;
  let at = 0;
  const end = (offset + batch) * features;
  while (start < end) {
    // One run of counters sharing their high 32 bits.
    const hi = Math.floor(start / TWO_32);
    const runEnd = Math.min(end, (hi + 1) * TWO_32);
    fillMaskRun(mask, at, highWordKey(key, hi), start - hi * TWO_32, runEnd - start, threshold, scale);
    at += runEnd - start;
    start = runEnd;
  }
  return mask;
}
