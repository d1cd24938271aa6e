/**
 * Keras losses from a compile_config, as per-example tfjs losses whose batch mean is Keras's
 * `sum_over_batch_size` reduction. Formulas follow Keras 3's JAX backend: probabilities are clipped to
 * [ε, 1 − ε] with ε = 1e-7, categorical outputs are renormalised to sum 1 first (the categorical
 * crossentropies are one op each: crossentropy.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LossName, MetricName } from '../spec';
import type { Labels } from '../parts';
import { fail, isObj, toSnakeCase } from './config';
import { crossentropy } from './crossentropy';

const EPSILON = 1e-7;

export type LossKind =
  | 'sparse_categorical_crossentropy'
  | 'categorical_crossentropy'
  | 'binary_crossentropy'
  | 'mean_squared_error'
  | 'mean_absolute_error';

export interface LossHead {
  kind: LossKind;
  fromLogits: boolean;
  labelSmoothing: number;
  /** The existing loss family (class indices vs float targets), for data checks. */
  family: LossName;
  metrics: MetricName[];
  /** BinaryAccuracy's `threshold` (Keras's default 0.5): a prediction counts as 1 when above it. */
  accuracyThreshold: number;
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
export const SUPPORTED_LOSSES =
  'SparseCategoricalCrossentropy, CategoricalCrossentropy, BinaryCrossentropy, MeanSquaredError, MeanAbsoluteError';

/**
 * Keras metrics this trainer computes (every accuracy variant reports as "accuracy"), by the names a
 * compile_config may hold: a string, or a serialised metric object's class_name. `family`: the loss
 * kinds whose outputs the metric's rule fits (an accuracy of another family is refused, not guessed).
 */
const METRICS: Record<string, { metric: MetricName; family?: 'binary' | 'categorical' | 'sparse'; args: string[] }> = {
  accuracy: { metric: 'accuracy', args: [] },
  acc: { metric: 'accuracy', args: [] },
  sparse_categorical_accuracy: { metric: 'accuracy', family: 'sparse', args: [] },
  sparsecategoricalaccuracy: { metric: 'accuracy', family: 'sparse', args: [] },
  categorical_accuracy: { metric: 'accuracy', family: 'categorical', args: [] },
  categoricalaccuracy: { metric: 'accuracy', family: 'categorical', args: [] },
  binary_accuracy: { metric: 'accuracy', family: 'binary', args: ['threshold'] },
  binaryaccuracy: { metric: 'accuracy', family: 'binary', args: ['threshold'] },
  mae: { metric: 'mae', args: [] },
  mean_absolute_error: { metric: 'mae', args: [] },
  meanabsoluteerror: { metric: 'mae', args: [] },
};
/**
 * The metrics one output declares, each with the name Keras reports it by (`get_metric`: the string as
 * given, or the metric object's name) and the rule it computes; classes not computed here are left out.
 */
export function namedMetrics(raw: unknown): { name: string; metric: MetricName }[] {
  const list = raw === null || raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  return list.flatMap((m) => {
    const cls = typeof m === 'string' ? m : isObj(m) ? String(m.class_name ?? '') : '';
    const known = METRICS[cls.toLowerCase()];
    if (!known) return [];
    const config = isObj(m) && isObj(m.config) ? m.config : {};
    const name = typeof m === 'string' ? m : typeof config.name === 'string' ? config.name : toSnakeCase(cls);
    return [{ name, metric: known.metric }];
  });
}

/** Arguments every Keras metric saves, honoured here by being what this trainer does anyway. */
const COMMON_ARGS = ['name', 'dtype'];

const familyOf = (kind: LossKind): 'binary' | 'categorical' | 'sparse' | null =>
  kind === 'binary_crossentropy'
    ? 'binary'
    : kind === 'categorical_crossentropy'
      ? 'categorical'
      : kind === 'sparse_categorical_crossentropy'
        ? 'sparse'
        : null;

/**
 * The declared metrics this trainer computes, with every argument Keras saved for them honoured or
 * refused by name (a BinaryAccuracy threshold, say, is not silently read as 0.5). Other metric
 * classes are not computed (documented).
 */
function metricsOf(raw: unknown, kind: LossKind): { metrics: MetricName[]; accuracyThreshold: number } {
  const metrics: MetricName[] = [];
  let accuracyThreshold = 0.5;
  const visit = (m: unknown): void => {
    if (m === null || m === undefined) return;
    if (Array.isArray(m)) return m.forEach(visit);
    if (isObj(m) && !('class_name' in m)) return Object.values(m).forEach(visit); // per-output dicts
    const name = typeof m === 'string' ? m : isObj(m) ? String(m.class_name ?? '') : '';
    const known = METRICS[name.toLowerCase()];
    if (!known) return;
    const label = typeof m === 'string' ? `metric "${m}"` : `metric ${name}`;
    if (known.family && known.family !== familyOf(kind))
      fail(`${label} does not fit the loss ${kind} (its outputs are not ${known.family} predictions)`);
    const config = isObj(m) && isObj(m.config) ? m.config : {};
    for (const [arg, value] of Object.entries(config)) {
      if (!COMMON_ARGS.includes(arg) && !known.args.includes(arg))
        fail(`${label}: argument ${arg}=${JSON.stringify(value)} is not supported`);
    }
    if (config.dtype !== undefined && config.dtype !== null && config.dtype !== 'float32')
      fail(`${label}: dtype ${JSON.stringify(config.dtype)} is not supported (float32)`);
    if (config.threshold !== undefined) {
      if (typeof config.threshold !== 'number' || !Number.isFinite(config.threshold))
        fail(`${label}: threshold must be a number, got ${JSON.stringify(config.threshold)}`);
      accuracyThreshold = config.threshold as number;
    }
    if (!metrics.includes(known.metric)) metrics.push(known.metric);
  };
  visit(raw);
  return { metrics, accuracyThreshold };
}

/** The loss of a compile_config (`loss` as a name or a serialised Keras loss object). */
export function lossHeadOf(compileConfig: Record<string, unknown> | null | undefined): LossHead {
  const raw = compileConfig?.loss;
  if (raw === undefined || raw === null)
    return fail(
      `no loss: give the model a compile_config with a loss (supported: ${SUPPORTED_LOSSES}) or "loss" in the run's model`,
    );
  // A loss function (`loss=keras.losses.categorical_crossentropy`) is saved as class "function" with its name as config.
  const name =
    typeof raw === 'string'
      ? raw
      : isObj(raw) && raw.class_name === 'function' && typeof raw.config === 'string'
        ? raw.config
        : isObj(raw) && typeof raw.class_name === 'string'
          ? raw.class_name
          : '';
  const kind =
    ALIASES[name.toLowerCase()] ?? fail(`loss ${JSON.stringify(raw)} is not supported (supported: ${SUPPORTED_LOSSES})`);
  const c = isObj(raw) && isObj(raw.config) ? raw.config : {}; // a function's defaults: what Keras calls it with
  const reduction = c.reduction ?? 'sum_over_batch_size';
  if (reduction !== 'sum_over_batch_size' && reduction !== 'auto')
    fail(`loss reduction "${String(reduction)}" is not supported (sum_over_batch_size)`);
  if (c.ignore_class != null) fail('loss ignore_class is not supported');
  if (c.axis !== undefined && c.axis !== -1) fail(`loss axis ${JSON.stringify(c.axis)} is not supported (-1)`);
  const labelSmoothing = typeof c.label_smoothing === 'number' ? c.label_smoothing : 0;
  const family: LossName = kind === 'sparse_categorical_crossentropy' ? 'softmax_cross_entropy' : 'mse';
  return {
    kind,
    fromLogits: c.from_logits === true,
    labelSmoothing,
    family,
    ...metricsOf(compileConfig?.metrics, kind),
    config: raw,
  };
}

/** log σ(x) = −softplus(−x) (tfjs's logSigmoid has no wasm kernel). */
const logSigmoid = (x: tf.Tensor) => tf.neg(tf.softplus(tf.neg(x)));

const clip = (p: tf.Tensor) => tf.clipByValue(p, EPSILON, 1 - EPSILON);

/** Elementwise-then-last-axis loss, shape [batch, ...outShape without its last axis]. */
function lastAxisLoss(head: LossHead, out: tf.Tensor, labels: tf.Tensor): tf.Tensor {
  switch (head.kind) {
    case 'sparse_categorical_crossentropy':
      return crossentropy(out, { ids: labels.dataSync() }, head);
    case 'categorical_crossentropy':
      return crossentropy(out, { rows: labels.dataSync() }, head);
    case 'binary_crossentropy': {
      const target =
        head.labelSmoothing > 0 ? tf.add(tf.mul(labels, 1 - head.labelSmoothing), 0.5 * head.labelSmoothing) : labels;
      const [logP, logQ] = head.fromLogits
        ? [logSigmoid(out), logSigmoid(tf.neg(out))]
        : [tf.log(clip(out)), tf.log(tf.sub(1, clip(out)))];
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
  const perElement = lastAxisLoss(head, out, labels);
  return (perElement.rank === 1 ? perElement : tf.mean(tf.reshape(perElement, [batch, -1]), 1)) as tf.Tensor1D;
}

/** Expected label count per example: class ids for sparse CCE, else one float per output element. */
export function labelsPerExample(head: LossHead, outShape: number[]): number {
  const n = outShape.reduce((a, b) => a * b, 1);
  return head.kind === 'sparse_categorical_crossentropy' ? n / outShape[outShape.length - 1]! : n;
}

export function headCheckLabels(head: LossHead, outShape: number[], y: Labels, batchSize: number): Labels {
  const per = labelsPerExample(head, outShape);
  if (y.length !== batchSize * per)
    throw new RangeError(
      `labels: expected ${batchSize * per} values (batch ${batchSize} × ${per}) for ${head.kind}, got ${y.length}`,
    );
  if (head.kind !== 'sparse_categorical_crossentropy') return y instanceof Float32Array ? y : Float32Array.from(y);
  const classes = outShape[outShape.length - 1]!;
  const out = y instanceof Int32Array ? y : new Int32Array(y.length);
  for (let i = 0; i < y.length; i++) {
    const c = y[i]!;
    if (!Number.isInteger(c) || c < 0 || c >= classes)
      throw new RangeError(`labels[${i}] = ${c}: expected an integer class index in [0, ${classes})`);
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
    // Keras's BinaryAccuracy: y_pred > threshold (on whatever the model outputs: logits need 0).
    for (let i = 0; i < row.length; i++) hits += (row[i]! > head.accuracyThreshold ? 1 : 0) === y[i] ? 1 : 0;
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
