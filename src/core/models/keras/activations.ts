/**
 * Keras 3's activation functions by their serialized names, as tfjs ops, with Keras 3's defaults for
 * their options and JAX's formulas (jax.nn, which the JAX backend calls).
 */
import * as tf from '@tensorflow/tfjs-core';
import { fail, isObj } from './config';
import { greaterEqualMask, greaterMask, select } from './compare';

export type ActivationFn = (x: tf.Tensor) => tf.Tensor;

const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;

const relu6 = (x: tf.Tensor) => tf.relu6(x);
const hardSigmoid = (x: tf.Tensor) => tf.div(relu6(tf.add(x, 3)), 6);
const softplus = (x: tf.Tensor) => tf.softplus(x);
const silu = (x: tf.Tensor) => tf.mul(x, tf.sigmoid(x));
/** x where x > 0, else α·(eˣ − 1) (jax.nn.elu). */
export const elu = (x: tf.Tensor, alpha = 1) =>
  alpha === 1 ? tf.elu(x) : select(greaterMask(x, 0), x, tf.mul(alpha, tf.elu(tf.minimum(x, 0))));
export const leakyRelu = (x: tf.Tensor, slope: number) => select(greaterEqualMask(x, 0), x, tf.mul(x, slope));
/** Exact: x·Φ(x) = ½x·(1 + erf(x/√2)); approximate: ½x·(1 + tanh(√(2/π)·(x + 0.044715x³))). */
export function gelu(x: tf.Tensor, approximate: boolean): tf.Tensor {
  if (!approximate) return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
  const inner = tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3))));
  return tf.mul(x, tf.mul(0.5, tf.add(1, tf.tanh(inner))));
}
/** Softmax over `axis` (tfjs's kernel on the last axis, exp(x − logsumexp) elsewhere). */
export const softmax = (x: tf.Tensor, axis = -1) =>
  axis === -1 || axis === x.rank - 1 ? tf.softmax(x) : tf.exp(tf.sub(x, tf.logSumExp(x, axis, true)));
export const logSoftmax = (x: tf.Tensor, axis = -1) =>
  axis === -1 || axis === x.rank - 1 ? tf.logSoftmax(x) : tf.sub(x, tf.logSumExp(x, axis, true));

/**
 * sparsemax over the last axis as Keras 3's JAX backend computes it, without a sort: sorted
 * descending, element i is in the support when 1 + kᵢ·zᵢ > cᵢ (kᵢ = #{zⱼ ≥ zᵢ}, cᵢ = Σ_{zⱼ ≥ zᵢ} zⱼ, its
 * cumulative sum), and τ = (Σ_{support} cᵢ − 1) / |support|. (Keras sums the cumulative sums where the
 * textbook sparsemax sums the logits; rows then need not sum to 1. This follows Keras.)
 */
function sparsemax(x: tf.Tensor): tf.Tensor {
  const zi = tf.expandDims(x, -1);
  const zj = tf.expandDims(x, -2);
  const ge = greaterEqualMask(zj, zi); // [.., i, j]: zⱼ ≥ zᵢ
  const k = tf.sum(ge, -1);
  const cum = tf.sum(tf.mul(ge, zj), -1);
  const support = greaterMask(tf.add(1, tf.mul(k, x)), cum);
  const size = tf.sum(support, -1, true);
  const tau = tf.div(tf.sub(tf.sum(tf.mul(support, cum), -1, true), 1), size);
  return tf.maximum(tf.sub(x, tau), 0);
}

const ACTIVATION_FNS: Record<string, ActivationFn> = {
  linear: (x) => x,
  relu: (x) => tf.relu(x),
  relu6,
  leaky_relu: (x) => leakyRelu(x, 0.2), // Keras 3's default negative_slope
  elu: (x) => elu(x),
  selu: (x) => tf.mul(SELU_SCALE, elu(x, SELU_ALPHA)),
  celu: (x) => tf.add(tf.relu(x), tf.expm1(tf.minimum(x, 0))),
  tanh: (x) => tf.tanh(x),
  tanh_shrink: (x) => tf.sub(x, tf.tanh(x)),
  sigmoid: (x) => tf.sigmoid(x),
  hard_sigmoid: hardSigmoid,
  hard_silu: (x) => tf.mul(x, hardSigmoid(x)),
  hard_swish: (x) => tf.mul(x, hardSigmoid(x)),
  hard_tanh: (x) => tf.clipByValue(x, -1, 1),
  hard_shrink: (x) => tf.mul(x, greaterMask(tf.abs(x), 0.5)),
  soft_shrink: (x) => select(greaterMask(x, 0.5), tf.sub(x, 0.5), select(greaterMask(-0.5, x), tf.add(x, 0.5), 0)),
  softmax: (x) => softmax(x),
  log_softmax: (x) => logSoftmax(x),
  log_sigmoid: (x) => tf.neg(softplus(tf.neg(x))),
  softplus,
  softsign: (x) => tf.div(x, tf.add(tf.abs(x), 1)),
  sparse_plus: (x) => select(greaterMask(x, -1), select(greaterEqualMask(x, 1), x, tf.div(tf.square(tf.add(x, 1)), 4)), 0),
  sparse_sigmoid: (x) => tf.mul(0.5, tf.clipByValue(tf.add(x, 1), 0, 2)),
  sparsemax,
  squareplus: (x) => tf.div(tf.add(x, tf.sqrt(tf.add(tf.square(x), 4))), 2),
  exponential: (x) => tf.exp(x),
  silu,
  swish: silu,
  mish: (x) => tf.mul(x, tf.tanh(softplus(x))),
  // Keras 3's gelu activation is the exact one (ops.gelu defaults to the approximation).
  gelu: (x) => gelu(x, false),
  // Halves the last axis: a · sigmoid(b) of its two halves.
  glu: (x) => {
    const [a, b] = tf.split(x, 2, -1);
    return tf.mul(a!, tf.sigmoid(b!));
  },
};

export const ACTIVATION_NAMES = Object.keys(ACTIVATION_FNS);

/** Keras's `threshold` needs its two arguments, so Keras itself cannot apply it by name. */
const NEEDS_ARGUMENTS = ['threshold'];

/** A layer's `activation` value: a name, null (linear), or Keras 3's serialized function object. */
export function activationOf(raw: unknown, layer: string): { name: string; fn: ActivationFn } {
  let name: unknown = raw ?? 'linear';
  if (isObj(raw)) name = typeof raw.config === 'string' ? raw.config : raw.class_name;
  if (typeof name === 'string' && NEEDS_ARGUMENTS.includes(name))
    return fail(`layer "${layer}": activation "${name}" needs arguments Keras does not save with a name (use keras.ops.${name})`);
  if (typeof name !== 'string' || !(name in ACTIVATION_FNS)) {
    return fail(
      `layer "${layer}": activation ${JSON.stringify(raw)} is not supported (supported: ${ACTIVATION_NAMES.join(', ')})`,
    );
  }
  return { name, fn: ACTIVATION_FNS[name]! };
}

/** The output shape of an activation on `shape` (glu halves the last axis). */
export function activatedShape(name: string, shape: number[], layer: string): number[] {
  if (name !== 'glu') return shape;
  const last = shape[shape.length - 1]!;
  if (last % 2 !== 0) fail(`layer "${layer}": glu needs an even last axis, got ${last}`);
  return [...shape.slice(0, -1), last / 2];
}
