/** Translators of the layers that own variables: Dense, Conv2D, Embedding, LayerNormalization. */
import * as tf from '@tensorflow/tfjs-core';
import type { ParamSpec } from '../parts';
import { activationOf } from './activations';
import { biasRelu } from '../../tfjs/bias-relu';
import { fail, type LayerEntry } from './config';
import { initializerOf } from './initializers';
import {
  channelsLast,
  fullAxis,
  numberOf,
  oneInput,
  pairOf,
  paddingOf,
  param,
  refuseSet,
  windowShape,
  type Translator,
} from './layer-types';

const REGULARIZED = ['kernel_regularizer', 'bias_regularizer', 'activity_regularizer', 'kernel_constraint', 'bias_constraint'];

/** Keras variable `name` of layer `entry`, at position `index` of its weights. */
function variable(
  entry: LayerEntry,
  name: string,
  index: number,
  shape: number[],
  initKey: string,
  fallbackInit: string,
): ParamSpec {
  const init = initializerOf(entry.config[initKey] ?? fallbackInit, shape, `layer "${entry.name}" ${initKey}`);
  return { path: `${entry.name}/${name}`, shape, init, h5: { layer: entry.name, index } };
}

function positiveInt(entry: LayerEntry, key: string): number {
  const v = entry.config[key];
  if (!Number.isInteger(v) || (v as number) < 1)
    fail(`layer "${entry.name}" (${entry.className}): ${key} must be a positive integer, got ${JSON.stringify(v)}`);
  return v as number;
}

function kernelAndBias(entry: LayerEntry, kernelShape: number[], units: number): ParamSpec[] {
  const out = [variable(entry, 'kernel', 0, kernelShape, 'kernel_initializer', 'GlorotUniform')];
  if (entry.config.use_bias !== false) out.push(variable(entry, 'bias', 1, [units], 'bias_initializer', 'Zeros'));
  return out;
}

/** Dense acts on the last axis (Keras), whatever the input's rank. */
export const dense: Translator = (entry, inShapes) => {
  const inShape = oneInput(entry, inShapes);
  refuseSet(entry, [...REGULARIZED, 'lora_rank', 'quantization_config']);
  const units = positiveInt(entry, 'units');
  const act = activationOf(entry.config.activation, entry.name);
  const fanIn = inShape[inShape.length - 1]!;
  const params = kernelAndBias(entry, [fanIn, units], units);
  return {
    outShape: [...inShape.slice(0, -1), units],
    params,
    activation: act.name,
    apply: ([x], p) => {
      const flat = tf.reshape(x!, [-1, fanIn]) as tf.Tensor2D;
      let y: tf.Tensor = tf.matMul(flat, param(p, params[0]!.path) as tf.Tensor2D);
      if (params[1] && act.name === 'relu')
        return tf.reshape(biasRelu(y, param(p, params[1].path)), [-1, ...inShape.slice(0, -1), units]);
      if (params[1]) y = tf.add(y, param(p, params[1].path));
      return act.fn(tf.reshape(y, [-1, ...inShape.slice(0, -1), units]));
    },
  };
};

export const conv2d: Translator = (entry, inShapes) => {
  const inShape = oneInput(entry, inShapes);
  channelsLast(entry);
  refuseSet(entry, REGULARIZED);
  const filters = positiveInt(entry, 'filters');
  if ((entry.config.groups ?? 1) !== 1)
    fail(`layer "${entry.name}" (Conv2D): groups ${JSON.stringify(entry.config.groups)} is not supported (1 only)`);
  const k = pairOf(entry.config.kernel_size, null, 'kernel_size', entry);
  const s = pairOf(entry.config.strides, [1, 1], 'strides', entry);
  const d = pairOf(entry.config.dilation_rate, [1, 1], 'dilation_rate', entry);
  // tfjs has no gradient for dilated convolutions.
  if (d[0] > 1 || d[1] > 1)
    fail(`layer "${entry.name}" (Conv2D): dilation_rate ${JSON.stringify(entry.config.dilation_rate)} is not supported (1 only)`);
  const pad = paddingOf(entry);
  const effective: [number, number] = [(k[0] - 1) * d[0] + 1, (k[1] - 1) * d[1] + 1];
  const outShape = windowShape(entry, inShape, effective, s, pad, filters);
  const act = activationOf(entry.config.activation, entry.name);
  const params = kernelAndBias(entry, [k[0], k[1], inShape[2]!, filters], filters);
  const convolve = ([x]: tf.Tensor[], p: Map<string, tf.Tensor>) =>
    tf.conv2d(x as tf.Tensor4D, param(p, params[0]!.path) as tf.Tensor4D, s, pad, 'NHWC', d);
  return {
    outShape,
    params,
    activation: act.name,
    ...(params[1] && act.name === 'relu' ? { beforeBiasRelu: { apply: convolve, bias: params[1].path } } : {}),
    apply: (inputs, p) => {
      let y: tf.Tensor = convolve(inputs, p);
      // relu(y + bias) fused: one pass each way on wasm, the same values.
      if (params[1] && act.name === 'relu') return biasRelu(y, param(p, params[1].path));
      if (params[1]) y = tf.add(y, param(p, params[1].path));
      return act.fn(y);
    },
  };
};

/** Its table's gradient is sparse: ParamSpec.sparse marks it for the worker's exchange. */
export const embedding: Translator = (entry, inShapes) => {
  const inShape = oneInput(entry, inShapes);
  refuseSet(entry, [
    'embeddings_regularizer',
    'activity_regularizer',
    'embeddings_constraint',
    'mask_zero',
    'lora_rank',
    'quantization_config',
  ]);
  const inputDim = positiveInt(entry, 'input_dim');
  const outputDim = positiveInt(entry, 'output_dim');
  const table = {
    ...variable(entry, 'embeddings', 0, [inputDim, outputDim], 'embeddings_initializer', 'RandomUniform'),
    sparse: true,
  };
  return {
    outShape: [...inShape, outputDim],
    params: [table],
    embedding: { inputDim, table: table.path },
    apply: ([x], p, ctx) => {
      const ids = tf.cast(x!, 'int32');
      return ctx.embed ? ctx.embed(entry.name, ids, x!) : tf.gather(param(p, table.path), ids);
    },
  };
};

/** Keras 3's formula: inv = rsqrt(var + ε)·γ; y = x·inv + (β − mean·inv). */
export const layerNormalization: Translator = (entry, inShapes) => {
  const inShape = oneInput(entry, inShapes);
  refuseSet(entry, ['gamma_regularizer', 'beta_regularizer', 'gamma_constraint', 'beta_constraint', 'rms_scaling']);
  const rank = inShape.length + 1;
  const rawAxis = entry.config.axis ?? -1;
  const axes = (Array.isArray(rawAxis) ? rawAxis : [rawAxis]).map((a) => fullAxis(Number(a), rank, entry)).sort((a, b) => a - b);
  const epsilon = numberOf(entry.config, 'epsilon', 1e-3, entry);
  const shape = axes.map((a) => inShape[a - 1]!);
  const broadcast = [1, ...inShape.map((n, i) => (axes.includes(i + 1) ? n : 1))];
  const params: ParamSpec[] = [];
  if (entry.config.scale !== false) params.push(variable(entry, 'gamma', params.length, shape, 'gamma_initializer', 'Ones'));
  if (entry.config.center !== false) params.push(variable(entry, 'beta', params.length, shape, 'beta_initializer', 'Zeros'));
  const gamma = params.find((q) => q.path.endsWith('/gamma'));
  const beta = params.find((q) => q.path.endsWith('/beta'));
  return {
    outShape: inShape,
    params,
    apply: ([x], p) => {
      const { mean, variance } = tf.moments(x!, axes, true);
      let inv = tf.rsqrt(tf.add(variance, epsilon));
      if (gamma) inv = tf.mul(inv, tf.reshape(param(p, gamma.path), broadcast));
      let res = tf.neg(tf.mul(mean, inv));
      if (beta) res = tf.add(res, tf.reshape(param(p, beta.path), broadcast));
      return tf.add(tf.mul(x!, inv), res);
    },
  };
};
