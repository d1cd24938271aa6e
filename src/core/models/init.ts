/**
 * Deterministic parameter initialisation. Each parameter draws from its own counter-based stream keyed by
 * (seed, hash(path)), element i from counter i: the values depend only on the seed and the path, never
 * on the device count or on which shard a worker materialises.
 */
import type { Model, ParamSpec } from './build';
import { counterUniform, hashString, streamKey } from '../random/counter';
import { shardRuns, type AxisSlice } from '../dtensor/shard';

/** Elements [start, start + length) of parameter `param`'s initial value (flattened, row-major). */
export function initParamSlice(param: ParamSpec, seed: number, start = 0, length?: number): Float32Array {
  const total = param.shape.reduce((a, b) => a * b, 1);
  const n = length ?? total - start;
  if (start < 0 || n < 0 || start + n > total) {
    throw new RangeError(`initParamSlice: [${start}, ${start + n}) is outside ${param.path} (${total} elements)`);
  }
  const out = new Float32Array(n);
  const init = param.init;
  const key = streamKey(seed, hashString(param.path));
  switch (init.kind) {
    case 'zeros':
      return out;
    case 'constant':
      return out.fill(init.value);
    case 'glorot_uniform': {
      // Keras GlorotUniform: U(-limit, limit), limit = sqrt(6 / (fan_in + fan_out)).
      const limit = Math.sqrt(6 / (init.fanIn + init.fanOut));
      for (let i = 0; i < n; i++) out[i] = (2 * counterUniform(key, start + i) - 1) * limit;
      return out;
    }
    case 'uniform':
      for (let i = 0; i < n; i++) out[i] = init.min + (init.max - init.min) * counterUniform(key, start + i);
      return out;
    case 'normal':
      for (let i = 0; i < n; i++) out[i] = init.mean + init.stddev * standardNormal(key, start + i, init.truncated);
      return out;
  }
}

/**
 * Element `i`'s N(0, 1) draw (Box–Muller on two sub-streams of `key`); truncated redraws beyond two
 * standard deviations, as Keras's TruncatedNormal, from further sub-streams (still a function of i alone).
 */
function standardNormal(key: number, i: number, truncated: boolean): number {
  for (let attempt = 0; ; attempt++) {
    const u1 = 1 - counterUniform(streamKey(key, 2 * attempt), i); // (0, 1]: log is finite
    const u2 = counterUniform(streamKey(key, 2 * attempt + 1), i);
    const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    if (!truncated || Math.abs(z) <= 2 || attempt >= 64) return z;
  }
}

/**
 * A device's shard (the region `slices` of the whole value) of a parameter's initial value, drawn run
 * by run: the same numbers as cutting the whole value, without ever drawing it whole.
 */
export function initShard(param: ParamSpec, seed: number, slices: readonly AxisSlice[]): Float32Array {
  const out = new Float32Array(slices.reduce((a, s) => a * s.size, 1));
  for (const r of shardRuns(param.shape, slices)) out.set(initParamSlice(param, seed, r.globalOffset, r.length), r.localOffset);
  return out;
}

/** All initial parameter values, keyed by path, in the model's parameter order. */
export function initParams(model: Model, seed: number): Map<string, Float32Array> {
  if (!Number.isSafeInteger(seed)) throw new RangeError(`initParams: seed must be a safe integer, got ${seed}`);
  const out = new Map<string, Float32Array>();
  for (const p of model.params) out.set(p.path, initParamSlice(p, seed));
  return out;
}
