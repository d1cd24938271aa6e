/**
 * Gaussian noise under the dropout masks' rule (dropout-mask.ts): element (example, j) of layer
 * `layerIndex` at a step's seed is a pure function of those numbers, so every device draws the same
 * noise for the same global example whatever the mesh. Box–Muller on two counter-based streams.
 */
import { counterUniform, streamKey } from './counter';

/** N(mean, stddev²) draws for `batch` examples of `features` elements each, from global example `offset`. */
export function normalNoise(
  seed: number,
  layerIndex: number,
  offset: number,
  batch: number,
  features: number,
  mean: number,
  stddev: number,
): Float32Array {
  const key = streamKey(seed, layerIndex);
  const k1 = streamKey(key, 1);
  const k2 = streamKey(key, 2);
  const out = new Float32Array(batch * features);
  const start = offset * features;
  for (let i = 0; i < out.length; i++) {
    const u1 = 1 - counterUniform(k1, start + i); // (0, 1]: the log is finite
    const u2 = counterUniform(k2, start + i);
    out[i] = mean + stddev * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }
  return out;
}
