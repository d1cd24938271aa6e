import * as tf from '@tensorflow/tfjs-core';
import type { HostSparse } from './indexed-slices';
import {
  accumulatedDelta,
  accumulatedGrad,
  decayedAccumulatedGrad,
  delta,
  squaredGradShare,
  updatedValue,
  withGradShare,
  type AdadeltaConstants,
  type AdadeltaScalars,
  type Arithmetic,
} from './adadelta-rule';

/** The element rule's arithmetic on tensors: each operation one elementwise float32 tfjs op. */
const tensors: Arithmetic<tf.Tensor> = {
  add: (a, b) => tf.add(a, b),
  mul: (a, b) => tf.mul(a, b),
  div: (a, b) => tf.div(a, b),
  sqrt: (a) => tf.sqrt(a),
  neg: (a) => tf.neg(a),
};

/**
 * Adadelta on tf.Variables with tfjs ops: the kernel for tensor storage (the GPU backend). The element
 * rule (adadelta-rule.ts) on whole tensors, so it matches the fused kernel bit for bit.
 */
export function adadeltaDenseTensor(v: tf.Variable, eg: tf.Variable, ed: tf.Variable, g: tf.Tensor, s: AdadeltaScalars): void {
  tf.tidy(() => {
    const c = constants(s);
    const newEg = accumulatedGrad(tensors, c, eg, g);
    const d = delta(tensors, c, ed, newEg, g); // new E[g²], old E[Δx²]
    const newEd = accumulatedDelta(tensors, c, ed, d);
    eg.assign(newEg);
    ed.assign(newEd);
    v.assign(updatedValue(tensors, c, v, d));
  });
}

/** Keras's sparse branch: decays every row of both accumulators; rows without gradient get Δ = −0. */
export function adadeltaSparseTensor(v: tf.Variable, eg: tf.Variable, ed: tf.Variable, g: HostSparse, s: AdadeltaScalars): void {
  tf.tidy(() => {
    const c = constants(s);
    const rowShape = v.shape.slice(1);
    const indices = tf.tensor2d(g.rows, [g.rows.length, 1], 'int32');
    const values = tf.tensor(Float32Array.from(g.values), [g.rows.length, ...rowShape]);
    // Keras's scatter_add: the gradient's share lands on its rows, every other row adds zero.
    const share = tf.scatterND(indices, squaredGradShare(tensors, c, values), v.shape);
    const newEg = withGradShare(tensors, decayedAccumulatedGrad(tensors, c, eg), share);
    const dense = tf.scatterND(indices, values, v.shape);
    const d = delta(tensors, c, ed, newEg, dense);
    const newEd = accumulatedDelta(tensors, c, ed, d);
    eg.assign(newEg);
    ed.assign(newEd);
    v.assign(updatedValue(tensors, c, v, d));
  });
}

/** Python floats become float32 tensors; 1−rho and rho−1 are computed in float64 first, as in Keras. */
function constants(s: AdadeltaScalars): AdadeltaConstants<tf.Tensor> {
  return {
    rho: tf.scalar(s.rho),
    oneMinusRho: tf.scalar(1 - s.rho),
    rhoMinusOne: tf.scalar(s.rho - 1),
    epsilon: tf.scalar(s.epsilon),
    lr: tf.scalar(s.lr),
  };
}
