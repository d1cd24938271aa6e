/**
 * Losses (per example, as tensors, so they can be differentiated) and metrics (as per-batch sums computed
 * in JS from the outputs, so slices of a batch combine exactly into the batch's mean).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Model } from './build';
import type { MetricName } from './spec';
import { headCheckLabels, headLabelTensor, headMetricSums, headPerExample } from './keras/losses';
import {
  checkPackedLabels,
  outputLossSums,
  outputMetricSums,
  packedLabelTensor,
  weightedPerExample,
} from './keras/output-losses';

/** Each output's own (unweighted) loss summed over the batch, for a model with several outputs; else none. */
export function outputLosses(model: Model, out: tf.Tensor, y: Labels, batchSize: number): Record<string, number> {
  return model.keras?.outputLosses && batchSize > 0 ? outputLossSums(model.keras.outputLosses, out, y, batchSize) : {};
}

export type { Labels } from './parts';
import type { Labels } from './parts';

/** Checks the label array and returns it in the dtype the loss wants. */
export function checkLabels(model: Model, y: Labels, batchSize: number): Labels {
  if (model.keras?.outputLosses) return checkPackedLabels(model.keras.outputLosses, y, batchSize);
  if (model.keras) return headCheckLabels(model.keras.head, model.outputShape, y, batchSize);
  if (model.loss === 'softmax_cross_entropy') {
    if (y.length !== batchSize) throw new RangeError(`labels: expected ${batchSize} class indices, got ${y.length}`);
    const classes = model.outputShape[0];
    const out = y instanceof Int32Array ? y : new Int32Array(y.length);
    for (let i = 0; i < y.length; i++) {
      const c = y[i];
      if (!Number.isInteger(c) || c < 0 || c >= classes) {
        throw new RangeError(`labels[${i}] = ${c}: expected an integer class index in [0, ${classes})`);
      }
      out[i] = c;
    }
    return out;
  }
  const n = batchSize * model.outputShape.reduce((a, b) => a * b, 1);
  if (y.length !== n)
    throw new RangeError(`targets: expected ${n} values (batch ${batchSize} × [${model.outputShape}]), got ${y.length}`);
  return y instanceof Float32Array ? y : Float32Array.from(y);
}

/** Labels as a tensor: int32 [batch] for cross-entropy, float32 [batch, ...output] for mse. */
export function labelTensor(model: Model, y: Labels, batchSize: number): tf.Tensor {
  if (model.keras?.outputLosses) return packedLabelTensor(model.keras.outputLosses, y, batchSize);
  if (model.keras) return headLabelTensor(model.keras.head, model.outputShape, y, batchSize);
  return model.loss === 'softmax_cross_entropy'
    ? tf.tensor1d(y as Int32Array, 'int32')
    : tf.tensor(y as Float32Array, [batchSize, ...model.outputShape], 'float32');
}

/** Loss of each example, shape [batch]. */
export function perExampleLoss(model: Model, out: tf.Tensor, labels: tf.Tensor): tf.Tensor1D {
  if (model.keras?.outputLosses) return weightedPerExample(model.keras.outputLosses, out, labels);
  if (model.keras) return headPerExample(model.keras.head, out, labels);
  const batch = out.shape[0];
  if (model.loss === 'softmax_cross_entropy') {
    const classes = model.outputShape[0];
    // oneHot × logSoftmax instead of gather: gather's gradient needs UnsortedSegmentSum.
    // int32 then cast: wasm's OneHot ignores a float32 dtype and writes int32 bits (tfjs 4.22).
    const oneHot = tf.cast(tf.oneHot(labels as tf.Tensor1D, classes), 'float32');
    return tf.neg(tf.sum(tf.mul(oneHot, tf.logSoftmax(out as tf.Tensor2D)), 1)) as tf.Tensor1D;
  }
  // Keras MSE: mean over the output elements of one example.
  const diff = tf.squaredDifference(tf.reshape(out, [batch, -1]), tf.reshape(labels, [batch, -1]));
  return tf.mean(diff, 1);
}

/** Sum over the batch of each metric (accuracy: number correct; mae: Σ per-example mean |error|). */
export function metricSums(model: Model, out: Float32Array, y: Labels, batchSize: number): Record<string, number> {
  if (model.keras?.outputLosses) return outputMetricSums(model.keras.outputLosses, out, y, batchSize);
  if (model.keras?.metricFigures) {
    const by = headMetricSums(model.keras.head, out, y, batchSize);
    return Object.fromEntries(model.keras.metricFigures.map((f) => [f.name, by[f.metric]!]));
  }
  if (model.keras) return headMetricSums(model.keras.head, out, y, batchSize);
  const sums: Record<string, number> = {};
  const width = batchSize === 0 ? 0 : out.length / batchSize;
  for (const m of model.metrics as MetricName[]) {
    let s = 0;
    for (let b = 0; b < batchSize; b++) {
      const row = out.subarray(b * width, (b + 1) * width);
      s += m === 'accuracy' ? (argmax(row) === y[b] ? 1 : 0) : meanAbsError(row, y, b * width);
    }
    sums[m] = s;
  }
  return sums;
}

/** First index of the maximum, like tf.argMax. */
function argmax(row: Float32Array): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
  return best;
}

function meanAbsError(row: Float32Array, y: Labels, offset: number): number {
  let s = 0;
  for (let i = 0; i < row.length; i++) s += Math.abs(row[i] - y[offset + i]);
  return s / row.length;
}
