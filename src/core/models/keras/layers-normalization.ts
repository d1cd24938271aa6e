/**
 * Normalization layers: LayerNormalization, BatchNormalization (batch-norm.ts does the step),
 * GroupNormalization, UnitNormalization — Keras 3's formulas: inv = rsqrt(var + ε)·γ;
 * y = x·inv + (β − mean·inv), var the biased variance.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ParamSpec } from '../parts';
import { layerNorm } from '../../tfjs/layer-norm';
import { batchNormInference, batchNormTraining } from './batch-norm';
import { fail } from './config';
import { fullAxis, numberOf, oneInput, param, positiveInt, refuseSet, variable, type Translator } from './layer-types';
import { regularizersOf } from './regularizers';

/** inv = rsqrt(var + ε)·γ; x·inv + (β − mean·inv), with γ and β broadcast by `shape`. */
function normalize(x: tf.Tensor, mean: tf.Tensor, variance: tf.Tensor, eps: number, gamma?: tf.Tensor, beta?: tf.Tensor) {
  let inv = tf.rsqrt(tf.add(variance, eps));
  if (gamma) inv = tf.mul(inv, gamma);
  let res = tf.neg(tf.mul(mean, inv));
  if (beta) res = tf.add(res, beta);
  return tf.add(tf.mul(x, inv), res);
}

function scaleAndCenter(entry: Parameters<Translator>[0], shape: number[], first = 0): ParamSpec[] {
  const params: ParamSpec[] = [];
  if (entry.config.scale !== false)
    params.push(variable(entry, 'gamma', first + params.length, shape, 'gamma_initializer', 'Ones'));
  if (entry.config.center !== false)
    params.push(variable(entry, 'beta', first + params.length, shape, 'beta_initializer', 'Zeros'));
  return params;
}
const named = (params: ParamSpec[], n: string) => params.find((q) => q.path.endsWith(`/${n}`));

export const layerNormalization: Translator = (entry, inShapes) => {
  const inShape = oneInput(entry, inShapes);
  refuseSet(entry, ['rms_scaling']);
  const rank = inShape.length + 1;
  const rawAxis = entry.config.axis ?? -1;
  const axes = (Array.isArray(rawAxis) ? rawAxis : [rawAxis]).map((a) => fullAxis(Number(a), rank, entry)).sort((a, b) => a - b);
  const epsilon = numberOf(entry.config, 'epsilon', 1e-3, entry);
  const params = scaleAndCenter(
    entry,
    axes.map((a) => inShape[a - 1]!),
  );
  const broadcast = [1, ...inShape.map((n, i) => (axes.includes(i + 1) ? n : 1))];
  const gamma = named(params, 'gamma');
  const beta = named(params, 'beta');
  return {
    outShape: inShape,
    params,
    regularizers: regularizersOf(entry, params, { gamma_regularizer: 0, beta_regularizer: gamma ? 1 : 0 }),
    maskUse: 'pass',
    apply: ([x], p) => {
      const g = gamma && param(p, gamma.path);
      const b = beta && param(p, beta.path);
      return layerNorm(x!, axes, epsilon, broadcast, g, b);
    },
  };
};

/**
 * Statistics of the global batch while training (an all-reduce over the data-parallel devices:
 * batch-norm.ts), the moving statistics in inference and when the layer is frozen (`trainable`
 * false), as Keras 3 does. Only the last axis as the feature axis (channels_last).
 */
export const batchNormalization: Translator = (entry, inShapes) => {
  const inShape = oneInput(entry, inShapes);
  refuseSet(entry, ['renorm', 'synchronized']);
  const rank = inShape.length + 1;
  if (fullAxis(Number(entry.config.axis ?? -1), rank, entry) !== rank - 1)
    fail(
      `layer "${entry.name}" (BatchNormalization): axis ${JSON.stringify(entry.config.axis)} is not supported (the last axis)`,
    );
  const channels = inShape[inShape.length - 1]!;
  const epsilon = numberOf(entry.config, 'epsilon', 1e-3, entry);
  const momentum = numberOf(entry.config, 'momentum', 0.99, entry);
  const params = scaleAndCenter(entry, [channels]);
  const state = [
    variable(entry, 'moving_mean', params.length, [channels], 'moving_mean_initializer', 'Zeros'),
    variable(entry, 'moving_variance', params.length + 1, [channels], 'moving_variance_initializer', 'Ones'),
  ];
  const gamma = named(params, 'gamma');
  const beta = named(params, 'beta');
  const frozen = entry.config.trainable === false;
  return {
    outShape: inShape,
    params,
    state,
    syncsBatch: !frozen,
    maskUse: 'pass',
    regularizers: regularizersOf(entry, params, { gamma_regularizer: 0, beta_regularizer: gamma ? 1 : 0 }),
    apply: ([x], p, ctx) => {
      const g = gamma ? param(p, gamma.path) : undefined;
      const b = beta ? param(p, beta.path) : undefined;
      const moving = state.map((s) => ctx.state?.get(s.path) ?? fail(`internal: no value for ${s.path}`));
      if (!ctx.training || frozen) return batchNormInference(x!, moving[0]!, moving[1]!, epsilon, g, b);
      const { y, mean, variance } = batchNormTraining(x!, epsilon, g, b, ctx.allReduce);
      if (ctx.stateUpdates) {
        // Keras: moving · momentum + batch statistic · (1 − momentum).
        const update = (m: tf.Tensor, v: tf.Tensor) => tf.keep(tf.add(tf.mul(m, momentum), tf.mul(v, 1 - momentum)));
        ctx.stateUpdates.set(state[0]!.path, update(moving[0]!, mean));
        ctx.stateUpdates.set(state[1]!.path, update(moving[1]!, variance));
      }
      mean.dispose();
      variance.dispose();
      return y;
    },
  };
};

/** Keras's GroupNormalization: statistics per example and group of channels (last axis). */
export const groupNormalization: Translator = (entry, inShapes) => {
  const inShape = oneInput(entry, inShapes);
  const rank = inShape.length + 1;
  if (fullAxis(Number(entry.config.axis ?? -1), rank, entry) !== rank - 1)
    fail(
      `layer "${entry.name}" (GroupNormalization): axis ${JSON.stringify(entry.config.axis)} is not supported (the last axis)`,
    );
  const channels = inShape[inShape.length - 1]!;
  const groups = positiveInt(entry, 'groups');
  if (channels % groups !== 0) fail(`layer "${entry.name}": groups ${groups} does not divide ${channels} channels`);
  const epsilon = numberOf(entry.config, 'epsilon', 1e-3, entry);
  const params = scaleAndCenter(entry, [channels]);
  const gamma = named(params, 'gamma');
  const beta = named(params, 'beta');
  const grouped = [...inShape.slice(0, -1), groups, channels / groups];
  const axes = [...Array(inShape.length - 1).keys()].map((a) => a + 1).concat([inShape.length + 1]);
  const bshape = [1, ...inShape.slice(0, -1).map(() => 1), groups, channels / groups];
  return {
    outShape: inShape,
    params,
    regularizers: regularizersOf(entry, params, { gamma_regularizer: 0, beta_regularizer: gamma ? 1 : 0 }),
    maskUse: 'pass',
    apply: ([x], p) => {
      const r = tf.reshape(x!, [-1, ...grouped]);
      const { mean, variance } = tf.moments(r, axes, true);
      const g = gamma && tf.reshape(param(p, gamma.path), bshape);
      const b = beta && tf.reshape(param(p, beta.path), bshape);
      return tf.reshape(normalize(r, mean, variance, epsilon, g, b), [-1, ...inShape]);
    },
  };
};

/** ops.normalize with ε = 1e-12: x · min(rsqrt(Σx²), 1/ε) over `axis`. */
export const unitNormalization: Translator = (entry, inShapes) => {
  const inShape = oneInput(entry, inShapes);
  const rank = inShape.length + 1;
  const rawAxis = entry.config.axis ?? -1;
  const axes = (Array.isArray(rawAxis) ? rawAxis : [rawAxis]).map((a) => fullAxis(Number(a), rank, entry));
  return {
    outShape: inShape,
    params: [],
    maskUse: 'pass',
    apply: ([x]) => tf.mul(x!, tf.minimum(tf.rsqrt(tf.sum(tf.square(x!), axes, true)), 1e12)),
  };
};
