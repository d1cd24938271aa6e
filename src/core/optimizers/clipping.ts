import * as tf from '@tensorflow/tfjs-core';
import type { FloatArray } from './indexed-slices';
import type { Grad } from './gradients';

const f = Math.fround;

export interface ClipOptions {
  clipnorm: number | null;
  globalClipnorm: number | null;
  clipvalue: number | null;
}

/** Which single rule applies: Keras checks clipnorm, then global_clipnorm, then clipvalue. */
export function activeClipRule(o: ClipOptions): 'clipnorm' | 'global_clipnorm' | 'clipvalue' | null {
  if (o.clipnorm && o.clipnorm > 0) return 'clipnorm';
  if (o.globalClipnorm && o.globalClipnorm > 0) return 'global_clipnorm';
  if (o.clipvalue && o.clipvalue > 0) return 'clipvalue';
  return null;
}

/** Multiplier that maps g to g·c / max(‖g‖, c) as tf.clip_by_norm does, in the gradient's dtype. */
export function clipByNormFactors(sumSq: number, c: number, float32: boolean): { mul: number; div: number } {
  if (!float32) return { mul: c, div: Math.max(Math.sqrt(sumSq), c) };
  return { mul: f(c), div: Math.max(f(Math.sqrt(sumSq)), f(c)) };
}

/** tf.clip_by_global_norm's scale: c·min(1/N, 1/c) + (N − N); a non-finite N gives NaN. */
export function globalNormScale(totalSumSq: number, c: number, float32: boolean): number {
  if (!float32) {
    const n = Math.sqrt(totalSumSq);
    return c * Math.min(1 / n, 1 / c) + (n - n);
  }
  const n = f(Math.sqrt(totalSumSq));
  return f(f(f(c) * Math.min(f(1 / n), f(1 / f(c)))) + (n - n));
}

/** g ← (g·mul)/div, each op rounded in the array's own precision. */
function mulDivInPlace(data: FloatArray, mul: number, div: number): void {
  for (let i = 0; i < data.length; i++) data[i] = (data[i]! * mul) / div; // store rounds (f32 typed array); two roundings for f32 below
}

function mulDivF32(data: Float32Array, mul: number, div: number): void {
  for (let i = 0; i < data.length; i++) data[i] = f(f(data[i]! * mul) / div);
}

function scaleHost(data: FloatArray, mul: number, div: number | null): FloatArray {
  const out = data.slice();
  if (div === null) {
    for (let i = 0; i < out.length; i++) out[i] = out[i]! * mul;
  } else if (out instanceof Float32Array) {
    mulDivF32(out, mul, div);
  } else {
    mulDivInPlace(out, mul, div);
  }
  return out;
}

function clampHost(data: FloatArray, c: number): FloatArray {
  const out = data.slice();
  const hi = out instanceof Float32Array ? f(c) : c;
  for (let i = 0; i < out.length; i++) out[i] = Math.max(Math.min(out[i]!, hi), -hi);
  return out;
}

/** Applies g·mul/div (div null: g·mul) or a clamp to one gradient, returning a new gradient. */
export function transformGrad(
  g: Grad,
  op: { kind: 'scale'; mul: number; div: number | null } | { kind: 'clamp'; c: number },
): Grad {
  const host = (data: FloatArray) => (op.kind === 'clamp' ? clampHost(data, op.c) : scaleHost(data, op.mul, op.div));
  switch (g.kind) {
    case 'dense-host':
      return { kind: 'dense-host', data: host(g.data) };
    case 'sparse':
      return { kind: 'sparse', sparse: { ...g.sparse, values: host(g.sparse.values) } };
    case 'dense-tensor':
      return {
        kind: 'dense-tensor',
        tensor: tf.tidy(() => {
          if (op.kind === 'clamp') return tf.clipByValue(g.tensor, -f(op.c), f(op.c));
          const scaled = tf.mul(g.tensor, tf.scalar(op.mul));
          return op.div === null ? scaled : tf.div(scaled, tf.scalar(op.div));
        }),
      };
  }
}
