/**
 * Convolutions: Conv1D/Conv2D (with `groups`), DepthwiseConv1D/2D, SeparableConv1D/2D, channels_last.
 * A 1D layer runs as its 2D twin on a height-1 image (what tfjs's conv1d does): the same sums. Padding
 * "same" is TensorFlow's (and JAX's "SAME"): the extra row or column goes at the end; Conv1D's "causal"
 * pads the start by (kernel − 1).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ParamSpec } from '../parts';
import { biasRelu } from '../../tfjs/bias-relu';
import { activatedShape, activationOf } from './activations';
import { fail, type LayerEntry } from './config';
import { channelsLast, oneInput, param, positiveInt, tupleOf, variable, windowShape, type Translator } from './layer-types';
import { regularizersOf, REFUSED_CONSTRAINTS } from './regularizers';

type Pad = 'valid' | 'same' | [[number, number], [number, number], [number, number], [number, number]];

interface Geometry {
  rank: 1 | 2;
  /** As 2D: [1, k] for a 1D layer. */
  k: [number, number];
  s: [number, number];
  pad: Pad;
  /** The spatial input shape as 2D ([1, length] for 1D) and its channels. */
  in2d: [number, number, number];
}

/** Kernel, strides and padding of a conv layer, as its 2D twin; dilation 1 only (tfjs has no dilated gradient). */
function geometry(entry: LayerEntry, inShape: number[], rank: 1 | 2): Geometry {
  channelsLast(entry);
  if (inShape.length !== rank + 1)
    fail(
      `layer "${entry.name}" (${entry.className}) needs a rank-${rank + 1} input (spatial axes and channels), got [${inShape}]`,
    );
  const k = tupleOf(entry.config.kernel_size, rank, null, 'kernel_size', entry);
  const s = tupleOf(entry.config.strides, rank, Array(rank).fill(1), 'strides', entry);
  const d = tupleOf(entry.config.dilation_rate, rank, Array(rank).fill(1), 'dilation_rate', entry);
  if (d.some((v) => v !== 1))
    fail(
      `layer "${entry.name}" (${entry.className}): dilation_rate ${JSON.stringify(entry.config.dilation_rate)} is not supported (1 only)`,
    );
  const padding = entry.config.padding ?? 'valid';
  const in2d: [number, number, number] = rank === 1 ? [1, inShape[0]!, inShape[1]!] : [inShape[0]!, inShape[1]!, inShape[2]!];
  const k2: [number, number] = rank === 1 ? [1, k[0]!] : [k[0]!, k[1]!];
  const s2: [number, number] = rank === 1 ? [1, s[0]!] : [s[0]!, s[1]!];
  if (padding === 'causal' && rank === 1)
    return {
      rank,
      k: k2,
      s: s2,
      pad: [
        [0, 0],
        [0, 0],
        [k2[1] - 1, 0],
        [0, 0],
      ],
      in2d,
    };
  if (padding !== 'valid' && padding !== 'same')
    fail(`layer "${entry.name}": padding "${String(padding)}" is not supported (valid, same${rank === 1 ? ', causal' : ''})`);
  return { rank, k: k2, s: s2, pad: padding as 'valid' | 'same', in2d };
}

/** Output shape (without batch) of the layer for `channels` output channels. */
function outShapeOf(entry: LayerEntry, g: Geometry, channels: number): number[] {
  if (Array.isArray(g.pad)) {
    const width = Math.floor((g.in2d[1] + g.k[1] - 1 - g.k[1]) / g.s[1]) + 1;
    return [width, channels];
  }
  const out = windowShape(entry, g.in2d, g.k, g.s, g.pad, channels);
  return g.rank === 1 ? [out[1]!, channels] : out;
}

const as4d = (x: tf.Tensor, g: Geometry) => (g.rank === 1 ? tf.expandDims(x, 1) : x) as tf.Tensor4D;
const back = (y: tf.Tensor, g: Geometry) => (g.rank === 1 ? tf.squeeze(y, [1]) : y);

/** Bias, then the activation (relu with a bias fused, as Dense and Conv2D do). */
function finish(y: tf.Tensor, p: Map<string, tf.Tensor>, bias: ParamSpec | undefined, act: ReturnType<typeof activationOf>) {
  if (bias && act.name === 'relu') return biasRelu(y, param(p, bias.path));
  return act.fn(bias ? tf.add(y, param(p, bias.path)) : y);
}

function convTranslator(rank: 1 | 2): Translator {
  return (entry, inShapes) => {
    const inShape = oneInput(entry, inShapes);
    const g = geometry(entry, inShape, rank);
    const filters = positiveInt(entry, 'filters');
    const groups = (entry.config.groups ?? 1) as number;
    const cin = g.in2d[2];
    if (!Number.isInteger(groups) || groups < 1 || cin % groups !== 0 || filters % groups !== 0)
      fail(
        `layer "${entry.name}" (${entry.className}): groups ${JSON.stringify(groups)} must divide the ${cin} input channels and the ${filters} filters`,
      );
    const act = activationOf(entry.config.activation, entry.name);
    const kernelShape = [...(rank === 1 ? [g.k[1]] : g.k), cin / groups, filters];
    const params = [variable(entry, 'kernel', 0, kernelShape, 'kernel_initializer', 'GlorotUniform')];
    if (entry.config.use_bias !== false) params.push(variable(entry, 'bias', 1, [filters], 'bias_initializer', 'Zeros'));
    const convolve = ([x]: tf.Tensor[], p: Map<string, tf.Tensor>) =>
      groupedConv(
        as4d(x!, g),
        tf.reshape(param(p, params[0]!.path), [g.k[0], g.k[1], cin / groups, filters]) as tf.Tensor4D,
        g,
        groups,
      );
    const fusable = rank === 2 && params[1] && act.name === 'relu' && groups === 1;
    return {
      outShape: activatedShape(act.name, outShapeOf(entry, g, filters), entry.name),
      params,
      activation: act.name,
      regularizers: regularizersOf(entry, params, { kernel_regularizer: 0, bias_regularizer: 1 }),
      ...(fusable ? { beforeBiasRelu: { apply: convolve, bias: params[1]!.path } } : {}),
      apply: (inputs, p) => back(finish(convolve(inputs, p), p, params[1], act), g),
    };
  };
}
export const conv1d = convTranslator(1);
export const conv2d = convTranslator(2);

/**
 * lax.conv_general_dilated's feature groups: output channel f reads input group ⌊f / (filters/groups)⌋.
 * groups = channels = filters is a depthwise convolution; other counts run one conv per group.
 */
function groupedConv(x: tf.Tensor4D, kernel: tf.Tensor4D, g: Geometry, groups: number): tf.Tensor4D {
  if (groups === 1) return tf.conv2d(x, kernel, g.s, g.pad, 'NHWC');
  const [kh, kw, cinG, filters] = kernel.shape;
  if (cinG === 1 && filters === groups)
    return tf.depthwiseConv2d(x, tf.reshape(kernel, [kh, kw, filters, 1]) as tf.Tensor4D, g.s, g.pad);
  const xs = tf.split(x, groups, 3) as tf.Tensor4D[];
  const ks = tf.split(kernel, groups, 3) as tf.Tensor4D[];
  return tf.concat(
    xs.map((xi, i) => tf.conv2d(xi, ks[i]!, g.s, g.pad, 'NHWC')),
    3,
  ) as tf.Tensor4D;
}

function depthwiseTranslator(rank: 1 | 2): Translator {
  return (entry, inShapes) => {
    const inShape = oneInput(entry, inShapes);
    const g = geometry(entry, inShape, rank);
    const mult = (entry.config.depth_multiplier ?? 1) as number;
    if (!Number.isInteger(mult) || mult < 1) fail(`layer "${entry.name}": depth_multiplier must be a positive integer`);
    const cin = g.in2d[2];
    const act = activationOf(entry.config.activation, entry.name);
    const kernelShape = [...(rank === 1 ? [g.k[1]] : g.k), cin, mult];
    const params = [variable(entry, 'kernel', 0, kernelShape, 'depthwise_initializer', 'GlorotUniform')];
    if (entry.config.use_bias !== false) params.push(variable(entry, 'bias', 1, [cin * mult], 'bias_initializer', 'Zeros'));
    return {
      outShape: activatedShape(act.name, outShapeOf(entry, g, cin * mult), entry.name),
      params,
      activation: act.name,
      regularizers: regularizersOf(entry, params, { depthwise_regularizer: 0, bias_regularizer: 1 }),
      apply: ([x], p) => {
        const kernel = tf.reshape(param(p, params[0]!.path), [g.k[0], g.k[1], cin, mult]) as tf.Tensor4D;
        return back(finish(tf.depthwiseConv2d(as4d(x!, g), kernel, g.s, g.pad), p, params[1], act), g);
      },
    };
  };
}
export const depthwiseConv1d = depthwiseTranslator(1);
export const depthwiseConv2d = depthwiseTranslator(2);

/** Keras's SeparableConv: depthwise (strides, padding), then a 1×1 pointwise conv, then bias and activation. */
function separableTranslator(rank: 1 | 2): Translator {
  return (entry, inShapes) => {
    const inShape = oneInput(entry, inShapes);
    const g = geometry(entry, inShape, rank);
    const filters = positiveInt(entry, 'filters');
    const mult = (entry.config.depth_multiplier ?? 1) as number;
    if (!Number.isInteger(mult) || mult < 1) fail(`layer "${entry.name}": depth_multiplier must be a positive integer`);
    const cin = g.in2d[2];
    const act = activationOf(entry.config.activation, entry.name);
    const ones = rank === 1 ? [1] : [1, 1];
    const params = [
      variable(
        entry,
        'depthwise_kernel',
        0,
        [...(rank === 1 ? [g.k[1]] : g.k), cin, mult],
        'depthwise_initializer',
        'GlorotUniform',
      ),
      variable(entry, 'pointwise_kernel', 1, [...ones, cin * mult, filters], 'pointwise_initializer', 'GlorotUniform'),
    ];
    if (entry.config.use_bias !== false) params.push(variable(entry, 'bias', 2, [filters], 'bias_initializer', 'Zeros'));
    return {
      outShape: activatedShape(act.name, outShapeOf(entry, g, filters), entry.name),
      params,
      activation: act.name,
      regularizers: regularizersOf(entry, params, { depthwise_regularizer: 0, pointwise_regularizer: 1, bias_regularizer: 2 }),
      apply: ([x], p) => {
        const dk = tf.reshape(param(p, params[0]!.path), [g.k[0], g.k[1], cin, mult]) as tf.Tensor4D;
        const pk = tf.reshape(param(p, params[1]!.path), [1, 1, cin * mult, filters]) as tf.Tensor4D;
        const y = tf.conv2d(tf.depthwiseConv2d(as4d(x!, g), dk, g.s, g.pad), pk, 1, 'valid');
        return back(finish(y, p, params[2], act), g);
      },
    };
  };
}
export const separableConv1d = separableTranslator(1);
export const separableConv2d = separableTranslator(2);

export { REFUSED_CONSTRAINTS };
