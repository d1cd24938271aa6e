/**
 * Keras 3's gradient accumulation (`gradient_accumulation_steps` = N): each variable has an accumulator
 * with its own layout (so it is sharded like the variable); calls that are not the N-th only add the
 * gradient, the N-th applies the mean (g + acc) / N and resets the accumulator. Arithmetic is in the
 * variable's dtype, in Keras's order: acc ← g + acc, then (g + acc) / N.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ShardedVariable } from '../variables/sharded-variable';
import type { Grad } from './gradients';
import type { FloatArray } from './indexed-slices';
import type { GradientStep } from './apply-pipeline';

/** The gradient as a dense host array of the variable's local shape (sparse rows summed, in order). */
function denseHost(g: Grad, like: FloatArray): FloatArray {
  if (g.kind === 'dense-host') return g.data;
  if (g.kind === 'dense-tensor') return g.tensor.dataSync() as Float32Array;
  const out = new (like.constructor as Float32ArrayConstructor)(like.length);
  const { rows, values, rowSize } = g.sparse;
  for (let k = 0; k < rows.length; k++) {
    const base = rows[k]! * rowSize;
    for (let j = 0; j < rowSize; j++) out[base + j] = out[base + j]! + values[k * rowSize + j]!;
  }
  return out;
}

function denseTensor(g: Grad, shape: readonly number[]): tf.Tensor {
  if (g.kind === 'dense-tensor') return g.tensor;
  if (g.kind === 'dense-host') return tf.tensor(g.data, [...shape], 'float32');
  const { rows, values, rowSize } = g.sparse;
  return tf
    .unsortedSegmentSum(
      tf.tensor2d(Float32Array.from(values), [rows.length, rowSize], 'float32'),
      tf.tensor1d(rows, 'int32'),
      shape[0]!,
    )
    .reshape([...shape]);
}

/** acc ← g + acc (a call that is not an update step). */
export function accumulate(acc: ShardedVariable, g: Grad): void {
  if (acc.localSize === 0) return;
  if (acc.storage === 'tensor') {
    tf.tidy(() => acc.tensorVariable().assign(tf.add(denseTensor(g, acc.localShape), acc.tensorVariable())));
    return;
  }
  const a = acc.hostArray();
  const d = denseHost(g, a);
  for (let i = 0; i < a.length; i++) a[i] = d[i]! + a[i]!; // the typed array rounds to the dtype
}

/** The update step's gradient (g + acc) / steps, as a dense gradient; resets acc to zeros. */
export function takeMean(acc: ShardedVariable, g: Grad, steps: number): Grad {
  if (acc.storage === 'tensor') {
    const tensor = tf.tidy(() => tf.div(tf.add(denseTensor(g, acc.localShape), acc.tensorVariable()), tf.scalar(steps)));
    tf.tidy(() => acc.tensorVariable().assign(tf.zerosLike(acc.tensorVariable())));
    return { kind: 'dense-tensor', tensor };
  }
  const a = acc.hostArray();
  const d = denseHost(g, a);
  const out = new (a.constructor as Float32ArrayConstructor)(a.length);
  for (let i = 0; i < a.length; i++) out[i] = d[i]! + a[i]!; // rounded to the dtype on store …
  for (let i = 0; i < a.length; i++) out[i] = out[i]! / steps; // … and again after the division
  a.fill(0);
  return { kind: 'dense-host', data: out };
}

/**
 * Accumulation as an apply step, its state one accumulator per tracked variable: a call that is not
 * the N-th adds its gradients and holds them back (the gradient steps after it do not run); the N-th
 * hands on the mean.
 */
export function accumulateStep(steps: number): GradientStep<ShardedVariable[]> {
  return {
    name: 'accumulate',
    init: (tracked, add) => tracked.map((v) => add(v, 'gradient_accumulator')),
    update(grads, accumulators, call) {
      const accumulatorOf = (i: number) => accumulators[call.tracked[i]!]!;
      if ((call.callCount + 1) % steps !== 0) {
        grads.forEach((g, i) => accumulate(accumulatorOf(i), g));
        return null;
      }
      return grads.map((g, i) => takeMean(accumulatorOf(i), g, steps));
    },
  };
}
