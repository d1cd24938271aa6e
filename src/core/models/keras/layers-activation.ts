/** Activation layers: Activation, ReLU, Softmax, LeakyReLU, ELU, PReLU (Keras 3's call formulas). */
import * as tf from '@tensorflow/tfjs-core';
import { activatedShape, activationOf, elu, leakyRelu, softmax } from './activations';
import { fail } from './config';
import { greaterMask } from './compare';
import { maskFor } from './masking';
import { fullAxis, numberOf, oneInput, onlySlots, param, slotOf, variable, type Translator } from './layer-types';
import { regularizersOf } from './regularizers';

export const activation: Translator = (entry, inShapes) => {
  const act = activationOf(entry.config.activation, entry.name);
  const inShape = oneInput(entry, inShapes);
  return {
    outShape: activatedShape(act.name, inShape, entry.name),
    params: [],
    activation: act.name,
    maskUse: 'pass',
    apply: ([x]) => act.fn(x!),
  };
};

/**
 * Keras's ReLU(max_value, negative_slope, threshold): x above the threshold (else 0, or
 * negative_slope·(x − threshold) below it), clipped at max_value; max_value 6 alone is relu6.
 */
export const reluLayer: Translator = (entry, inShapes) => {
  const inShape = oneInput(entry, inShapes);
  const slope = numberOf(entry.config, 'negative_slope', 0, entry);
  const threshold = numberOf(entry.config, 'threshold', 0, entry);
  const max = entry.config.max_value ?? null;
  if (max !== null && (typeof max !== 'number' || max < 0)) fail(`layer "${entry.name}" (ReLU): max_value must be a number ≥ 0`);
  const fn = (x: tf.Tensor): tf.Tensor => {
    if (slope === 0 && threshold === 0 && max === 6) return tf.relu6(x);
    if (slope !== 0 && threshold === 0 && max === null) return leakyRelu(x, slope);
    let y = threshold !== 0 ? tf.mul(x, greaterMask(x, threshold)) : tf.relu(x);
    if (max !== null) y = tf.clipByValue(y, 0, max as number);
    if (slope !== 0) {
      const below = threshold !== 0 ? tf.sub(tf.neg(x), -threshold) : tf.neg(x);
      y = tf.sub(y, tf.mul(slope, tf.relu(below)));
    }
    return y;
  };
  return { outShape: inShape, params: [], maskUse: 'pass', apply: ([x]) => fn(x!) };
};

/** Softmax over `axis`; Keras's `mask` (broadcastable, true = keep) sets masked logits to a large negative number first. */
export const softmaxLayer: Translator = (entry, inShapes) => {
  const xi = slotOf(entry, 'inputs', 0) ?? 0;
  const mi = slotOf(entry, 'mask', 1);
  onlySlots(entry, [xi, mi]);
  const inShape = inShapes[xi]!;
  const raw = entry.config.axis ?? -1;
  const axes = (Array.isArray(raw) ? raw : [raw]).map((a) => fullAxis(Number(a), inShape.length + 1, entry));
  return {
    outShape: inShape,
    params: [],
    maskUse: 'pass',
    apply: (inputs, _p, _ctx, masks) => {
      let x = inputs[xi]!;
      const mask = maskFor(inputs, masks, mi, xi);
      // Keras's _large_negative_number for float32.
      if (mask) x = tf.where(tf.cast(mask, 'bool'), x, tf.fill(x.shape, -1e9));
      return axes.length === 1 ? softmax(x, axes[0]) : tf.exp(tf.sub(x, tf.logSumExp(x, axes, true)));
    },
  };
};

export const leakyReluLayer: Translator = (entry, inShapes) => {
  const slope = numberOf(
    entry.config,
    'negative_slope',
    entry.config.alpha === undefined ? 0.3 : (entry.config.alpha as number),
    entry,
  );
  return { outShape: oneInput(entry, inShapes), params: [], maskUse: 'pass', apply: ([x]) => leakyRelu(x!, slope) };
};

export const eluLayer: Translator = (entry, inShapes) => {
  const alpha = numberOf(entry.config, 'alpha', 1, entry);
  return { outShape: oneInput(entry, inShapes), params: [], maskUse: 'pass', apply: ([x]) => elu(x!, alpha) };
};

/** relu(x) − α·relu(−x), α of the input's shape with `shared_axes` set to 1. */
export const preluLayer: Translator = (entry, inShapes) => {
  const inShape = oneInput(entry, inShapes);
  const shared = (entry.config.shared_axes ?? []) as number[];
  if (!Array.isArray(shared) || !shared.every((a) => Number.isInteger(a) && a >= 1 && a <= inShape.length))
    fail(
      `layer "${entry.name}" (PReLU): shared_axes must be axes 1..${inShape.length}, got ${JSON.stringify(entry.config.shared_axes)}`,
    );
  const shape = inShape.map((n, i) => (shared.includes(i + 1) ? 1 : n));
  const params = [variable(entry, 'alpha', 0, shape, 'alpha_initializer', 'Zeros')];
  return {
    outShape: inShape,
    params,
    regularizers: regularizersOf(entry, params, { alpha_regularizer: 0 }),
    maskUse: 'pass',
    apply: ([x], p) => tf.sub(tf.relu(x!), tf.mul(param(p, params[0]!.path), tf.relu(tf.neg(x!)))),
  };
};
