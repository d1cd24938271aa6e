/** Keras activation functions by their serialized names, as tfjs ops (Keras 3 defaults for their options). */
import * as tf from '@tensorflow/tfjs-core';
import { fail, isObj } from './config';

export type ActivationFn = (x: tf.Tensor) => tf.Tensor;

const ACTIVATION_FNS: Record<string, ActivationFn> = {
  linear: (x) => x,
  relu: (x) => tf.relu(x),
  relu6: (x) => tf.relu6(x),
  leaky_relu: (x) => tf.leakyRelu(x, 0.2), // Keras 3's default negative_slope
  elu: (x) => tf.elu(x),
  selu: (x) => tf.selu(x), // Keras's constants (α 1.67326…, scale 1.05070…)
  tanh: (x) => tf.tanh(x),
  sigmoid: (x) => tf.sigmoid(x),
  // Keras 3: relu6(x + 3) / 6
  hard_sigmoid: (x) => tf.div(tf.relu6(tf.add(x, 3)), 6),
  softmax: (x) => tf.softmax(x),
  log_softmax: (x) => tf.logSoftmax(x),
  softplus: (x) => tf.softplus(x),
  softsign: (x) => tf.div(x, tf.add(tf.abs(x), 1)),
  exponential: (x) => tf.exp(x),
  silu: (x) => tf.mul(x, tf.sigmoid(x)),
  swish: (x) => tf.mul(x, tf.sigmoid(x)),
  mish: (x) => tf.mul(x, tf.tanh(tf.softplus(x))),
  // Keras 3's gelu activation is the exact one: x · Φ(x) = x · (1 + erf(x / √2)) / 2.
  gelu: (x) => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2)))),
};

export const ACTIVATION_NAMES = Object.keys(ACTIVATION_FNS);

/** A layer's `activation` value: a name, null (linear), or Keras 3's serialized function object. */
export function activationOf(raw: unknown, layer: string): { name: string; fn: ActivationFn } {
  let name: unknown = raw ?? 'linear';
  if (isObj(raw)) name = typeof raw.config === 'string' ? raw.config : raw.class_name;
  if (typeof name !== 'string' || !(name in ACTIVATION_FNS)) {
    return fail(
      `layer "${layer}": activation ${JSON.stringify(raw)} is not supported (supported: ${ACTIVATION_NAMES.join(', ')})`,
    );
  }
  return { name, fn: ACTIVATION_FNS[name]! };
}
