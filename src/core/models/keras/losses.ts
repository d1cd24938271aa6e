/**
 * Keras losses from a compile_config, as per-example tfjs losses whose batch mean is Keras's
 * `sum_over_batch_size` reduction. Formulas follow Keras 3's JAX backend: probabilities are clipped to
 * [ε, 1 − ε] with ε = 1e-7, categorical outputs are renormalised to sum 1 first.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LossName, MetricName } from '../spec';
import type { Labels } from '../losses';
import { fail, isObj } from './config';

const EPSILON = 1e-7;

export type LossKind = 'sparse_categorical_crossentropy' | 'categorical_crossentropy' | 'binary_crossentropy' | 'mean_squared_error' | 'mean_absolute_error';

export interface LossHead {
  kind: LossKind;
  fromLogits: boolean;
  labelSmoothing: number;
  /** The existing loss family (class indices vs float targets), for data checks. */
  family: LossName;
  metrics: MetricName[];
  /** The loss as Keras serialised it, for export. */
  config: unknown;
}

const ALIASES: Record<string, LossKind> = {
  sparse_categorical_crossentropy: 'sparse_categorical_crossentropy',
  sparsecategoricalcrossentropy: 'sparse_categorical_crossentropy',
  categorical_crossentropy: 'categorical_crossentropy',
  categoricalcrossentropy: 'categorical_crossentropy',
  binary_crossentropy: 'binary_crossentropy',
  binarycrossentropy: 'binary_crossentropy',
  mse: 'mean_squared_error',
  mean_squared_error: 'mean_squared_error',
  meansquarederror: 'mean_squared_error',
  mae: 'mean_absolute_error',
  mean_absolute_error: 'mean_absolute_error',
  meanabsoluteerror: 'mean_absolute_error',
};
export const SUPPORTED_LOSSES = 'SparseCategoricalCrossentropy, CategoricalCrossentropy, BinaryCrossentropy, MeanSquaredError, MeanAbsoluteError';

/** Keras metric names this trainer computes (every accuracy variant reports as "accuracy"). */
const METRIC_ALIASES: Record<string, MetricName> = {
  accuracy: 'accuracy', acc: 'accuracy', sparse_categorical_accuracy: 'accuracy', sparsecategoricalaccuracy: 'accuracy',
  categorical_accuracy: 'accuracy', categoricalaccuracy: 'accuracy', binary_accuracy: 'accuracy', binaryaccuracy: 'accuracy',
  mae: 'mae', mean_absolute_error: 'mae', meanabsoluteerror: 'mae',
};

function metricsOf(raw: unknown): MetricName[] {
  const out: MetricName[] = [];
  const visit = (m: unknown): void => {
    if (Array.isArray(m)) return m.forEach(visit);
    const name = typeof m === 'string' ? m : isObj(m) ? String(m.class_name ?? '') : '';
    const known = METRIC_ALIASES[name.toLowerCase()];
    if (known && !out.includes(known)) out.push(known);
  };
  visit(raw);
  return out;
}

/** The loss of a compile_config (`loss` as a name or a serialised Keras loss object). */
export function lossHeadOf(compileConfig: Record<string, unknown> | null | undefined): LossHead {
  const raw = compileConfig?.loss;
  if (raw === undefined || raw === null) return fail(`no loss: give the model a compile_config with a loss (supported: ${SUPPORTED_LOSSES}) or "loss" in the run's model`);
  const name = typeof raw === 'string' ? raw : isObj(raw) && typeof raw.class_name === 'string' ? raw.class_name : '';
  const kind = ALIASES[name.toLowerCase()] ?? fail(`loss ${JSON.stringify(raw)} is not supported (supported: ${SUPPORTED_LOSSES})`);
  const c = isObj(raw) && isObj(raw.config) ? raw.config : {};
  const reduction = c.reduction ?? 'sum_over_batch_size';
  if (reduction !== 'sum_over_batch_size' && reduction !== 'auto') fail(`loss reduction "${String(reduction)}" is not supported (sum_over_batch_size)`);
  if (c.ignore_class != null) fail('loss ignore_class is not supported');
  if (c.axis !== undefined && c.axis !== -1) fail(`loss axis ${JSON.stringify(c.axis)} is not supported (-1)`);
  const labelSmoothing = typeof c.label_smoothing === 'number' ? c.label_smoothing : 0;
  const family: LossName = kind === 'sparse_categorical_crossentropy' ? 'softmax_cross_entropy' : 'mse';
  return { kind, fromLogits: c.from_logits === true, labelSmoothing, family, metrics: metricsOf(compileConfig?.metrics), config: raw };
}

/** log σ(x) = −softplus(−x) (tfjs's logSigmoid has no wasm kernel). */
const logSigmoid = (x: tf.Tensor) => tf.neg(tf.softplus(tf.neg(x)));

const clip = (p: tf.Tensor) => tf.clipByValue(p, EPSILON, 1 - EPSILON);

/** Elementwise-then-last-axis loss, shape [batch, ...outShape without its last axis]. */
function lastAxisLoss(head: LossHead, out: tf.Tensor, labels: tf.Tensor, classes: number): tf.Tensor {
  switch (head.kind) {
    case 'sparse_categorical_crossentropy':
    case 'categorical_crossentropy': {
      // int32 one-hot then cast: wasm's OneHot ignores a float32 dtype (tfjs 4.22).
      let target = head.kind === 'sparse_categorical_crossentropy' ? tf.cast(tf.oneHot(labels, classes), 'float32') : labels;
      if (head.labelSmoothing > 0) target = tf.add(tf.mul(target, 1 - head.labelSmoothing), head.labelSmoothing / classes);
      const logProb = head.fromLogits ? tf.logSoftmax(out) : tf.log(clip(tf.div(out, tf.sum(out, -1, true))));
      return tf.neg(tf.sum(tf.mul(target, logProb), -1));
    }
    case 'binary_crossentropy': {
      const target = head.labelSmoothing > 0 ? tf.add(tf.mul(labels, 1 - head.labelSmoothing), 0.5 * head.labelSmoothing) : labels;
      const [logP, logQ] = head.fromLogits ? [logSigmoid(out), logSigmoid(tf.neg(out))] : [tf.log(clip(out)), tf.log(tf.sub(1, clip(out)))];
      return tf.mean(tf.neg(tf.add(tf.mul(target, logP), tf.mul(tf.sub(1, target), logQ))), -1);
    }
    case 'mean_squared_error':
      return tf.mean(tf.squaredDifference(out, labels), -1);
    case 'mean_absolute_error':
      return tf.mean(tf.abs(tf.sub(out, labels)), -1);
  }
}

/** Loss of each example, shape [batch]: sum_over_batch_size averages what remains after the last axis. */
export function headPerExample(head: LossHead, out: tf.Tensor, labels: tf.Tensor): tf.Tensor1D {
  const batch = out.shape[0]!;
  const perElement = lastAxisLoss(head, out, labels, out.shape[out.rank - 1]!);
  return (perElement.rank === 1 ? perElement : tf.mean(tf.reshape(perElement, [batch, -1]), 1)) as tf.Tensor1D;
}

/** Expected label count per example: class ids for sparse CCE, else one float per output element. */
export function labelsPerExample(head: LossHead, outShape: number[]): number {
  const n = outShape.reduce((a, b) => a * b, 1);
  return head.kind === 'sparse_categorical_crossentropy' ? n / outShape[outShape.length - 1]! : n;
}

export function headCheckLabels(head: LossHead, outShape: number[], y: Labels, batchSize: number): Labels {
  const per = labelsPerExample(head, outShape);
  if (y.length !== batchSize * per) throw new RangeError(`labels: expected ${batchSize * per} values (batch ${batchSize} × ${per}) for ${head.kind}, got ${y.length}`);
  if (head.kind !== 'sparse_categorical_crossentropy') return y instanceof Float32Array ? y : Float32Array.from(y);
  const classes = outShape[outShape.length - 1]!;
  const out = y instanceof Int32Array ? y : new Int32Array(y.length);
  for (let i = 0; i < y.length; i++) {
    const c = y[i]!;
    if (!Number.isInteger(c) || c < 0 || c >= classes) throw new RangeError(`labels[${i}] = ${c}: expected an integer class index in [0, ${classes})`);
    out[i] = c;
  }
  return out;
}

export function headLabelTensor(head: LossHead, outShape: number[], y: Labels, batchSize: number): tf.Tensor {
  return head.kind === 'sparse_categorical_crossentropy'
    ? tf.tensor(y as Int32Array, [batchSize, ...outShape.slice(0, -1)], 'int32')
    : tf.tensor(y as Float32Array, [batchSize, ...outShape], 'float32');
}

const argmax = (row: ArrayLike<number>) => {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i]! > row[best]!) best = i;
  return best;
};

/** Per-batch sums of the declared metrics, per example averaged over its outputs (Keras's means). */
export function headMetricSums(head: LossHead, out: Float32Array, y: Labels, batchSize: number): Record<string, number> {
  const sums: Record<string, number> = {};
  const width = batchSize === 0 ? 0 : out.length / batchSize;
  const yWidth = batchSize === 0 ? 0 : y.length / batchSize;
  for (const m of head.metrics) {
    let s = 0;
    for (let b = 0; b < batchSize; b++) {
      const row = out.subarray(b * width, (b + 1) * width);
      const target = y.subarray(b * yWidth, (b + 1) * yWidth);
      s += m === 'mae' ? meanAbs(row, target) : accuracy(head, row, target);
    }
    sums[m] = s;
  }
  return sums;
}

function meanAbs(row: Float32Array, y: Labels): number {
  let s = 0;
  for (let i = 0; i < row.length; i++) s += Math.abs(row[i]! - y[i]!);
  return s / row.length;
}

function accuracy(head: LossHead, row: Float32Array, y: Labels): number {
  if (head.kind === 'binary_crossentropy') {
    let hits = 0;
    for (let i = 0; i < row.length; i++) hits += (row[i]! > 0.5 ? 1 : 0) === y[i] ? 1 : 0;
    return hits / row.length;
  }
  if (head.kind === 'sparse_categorical_crossentropy') {
    const classes = row.length / y.length;
    let hits = 0;
    for (let t = 0; t < y.length; t++) hits += argmax(row.subarray(t * classes, (t + 1) * classes)) === y[t] ? 1 : 0;
    return hits / y.length;
  }
  return argmax(row) === argmax(y) ? 1 : 0;
}
