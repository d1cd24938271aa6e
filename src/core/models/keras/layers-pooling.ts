/**
 * Pooling: Max/AveragePooling1D/2D (padding "valid" or "same": TensorFlow's and JAX's rule, the extra
 * cell at the end, and an average over the cells inside the input only), Global Max/Average Pooling
 * 1D/2D. A 1D pool runs as a 2D pool over a height-1 image.
 */
import * as tf from '@tensorflow/tfjs-core';
import { fail } from './config';
import { maskFor } from './masking';
import { channelsLast, oneInput, onlySlots, paddingOf, slotOf, tupleOf, windowShape, type Translator } from './layer-types';

function pooling(kind: 'max' | 'avg', rank: 1 | 2): Translator {
  return (entry, inShapes) => {
    const inShape = oneInput(entry, inShapes);
    channelsLast(entry);
    if (inShape.length !== rank + 1)
      fail(
        `layer "${entry.name}" (${entry.className}) needs a rank-${rank + 1} input (spatial axes and channels), got [${inShape}]`,
      );
    const k = tupleOf(entry.config.pool_size, rank, Array(rank).fill(2), 'pool_size', entry);
    const s = tupleOf(entry.config.strides, rank, k, 'strides', entry);
    const pad = paddingOf(entry);
    const k2: [number, number] = rank === 1 ? [1, k[0]!] : [k[0]!, k[1]!];
    const s2: [number, number] = rank === 1 ? [1, s[0]!] : [s[0]!, s[1]!];
    const in2d = rank === 1 ? [1, ...inShape] : inShape;
    const out2d = windowShape(entry, in2d, k2, s2, pad, inShape[rank]!);
    const op = kind === 'max' ? tf.maxPool : pad === 'same' ? averageSame : tf.avgPool;
    return {
      outShape: rank === 1 ? out2d.slice(1) : out2d,
      params: [],
      ...(kind === 'max' && rank === 2 ? { maxPool: { size: k2, strides: s2, pad } } : {}),
      apply: ([x]) => {
        if (rank === 2) return op(x as tf.Tensor4D, k2, s2, pad);
        return tf.squeeze(op(tf.expandDims(x!, 1) as tf.Tensor4D, k2, s2, pad), [1]);
      },
    };
  };
}
export const maxPooling1d = pooling('max', 1);
export const maxPooling2d = pooling('max', 2);
export const averagePooling1d = pooling('avg', 1);
export const averagePooling2d = pooling('avg', 2);

/**
 * Average pooling with "same" padding as JAX computes it: the window sums over the zero-padded input,
 * divided by the number of cells inside the input. (tfjs's own AvgPool "same" divides the same way
 * forward, but its gradient divides by the whole window.)
 */
function averageSame(x: tf.Tensor4D, k: [number, number], s: [number, number]): tf.Tensor4D {
  const [, h, w] = x.shape;
  const pads = [h, w].map((n, i) => {
    const out = Math.ceil(n / s[i]!);
    const total = Math.max((out - 1) * s[i]! + k[i]! - n, 0);
    return [Math.floor(total / 2), total - Math.floor(total / 2)] as [number, number];
  });
  const padded = tf.pad(x, [[0, 0], pads[0]!, pads[1]!, [0, 0]]);
  const sums = tf.mul(tf.avgPool(padded, k, s, 'valid'), k[0] * k[1]);
  const ones = tf.pad(tf.ones([1, h, w, 1]), [[0, 0], pads[0]!, pads[1]!, [0, 0]]) as tf.Tensor4D;
  const counts = tf.mul(tf.avgPool(ones, k, s, 'valid'), k[0] * k[1]);
  return tf.div(sums, counts) as tf.Tensor4D;
}

function global(kind: 'max' | 'avg', spatialRank: number): Translator {
  return (entry, inShapes) => {
    // GlobalAveragePooling1D takes Keras's `mask` (an Embedding's mask_zero, saved as a keyword tensor).
    const xi = slotOf(entry, 'inputs', 0) ?? 0;
    const mi = kind === 'avg' && spatialRank === 1 ? slotOf(entry, 'mask') : null;
    onlySlots(entry, [xi, mi]);
    const inShape = inShapes[xi]!;
    channelsLast(entry);
    if (inShape.length !== spatialRank + 1)
      fail(`layer "${entry.name}" (${entry.className}) needs a rank-${spatialRank + 1} input, got [${inShape}]`);
    const keep = entry.config.keepdims === true;
    const axes = Array.from({ length: spatialRank }, (_, i) => i + 1);
    const channels = inShape[spatialRank]!;
    return {
      outShape: keep ? [...axes.map(() => 1), channels] : [channels],
      params: [],
      ...(kind === 'avg' && spatialRank === 1 ? { maskUse: 'consume' as const } : {}),
      apply: (inputs, _p, _ctx, masks) => {
        const x = inputs[xi];
        const mask = kind === 'avg' && spatialRank === 1 ? maskFor(inputs, masks, mi, xi) : null;
        if (!mask) return kind === 'max' ? tf.max(x!, axes, keep) : tf.mean(x!, axes, keep);
        // Keras: Σ x·mask / Σ mask over the steps.
        const m = tf.expandDims(tf.cast(mask, 'float32'), -1);
        return tf.div(tf.sum(tf.mul(x!, m), axes, keep), tf.sum(m, axes, keep));
      },
    };
  };
}
export const globalAveragePooling1d = global('avg', 1);
export const globalAveragePooling2d = global('avg', 2);
export const globalMaxPooling1d = global('max', 1);
export const globalMaxPooling2d = global('max', 2);
