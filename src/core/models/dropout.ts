/**
 * The dropout mask, a pure function of (seed, layer, example): every device draws the same mask for
 * the same example whatever the mesh. Its own module so the JSON-spec forward pass and the Keras graph
 * layers share it without importing each other.
 */
import { counterUniform, streamKey } from './prng';

/** Inverted-dropout mask (0 or 1/(1-rate)) for `batch` examples of `features` elements each. */
export function dropoutMask(rate: number, seed: number, layerIndex: number, offset: number, batch: number, features: number): Float32Array {
  const key = streamKey(seed, layerIndex);
  const scale = 1 / (1 - rate);
  const mask = new Float32Array(batch * features);
  for (let b = 0; b < batch; b++) {
    const base = (offset + b) * features;
    for (let j = 0; j < features; j++) mask[b * features + j] = counterUniform(key, base + j) >= rate ? scale : 0;
  }
  return mask;
}
