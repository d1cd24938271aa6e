/**
 * A Keras model with several outputs: one loss per output and `loss_weights`, read from compile_config
 * as Keras 3's CompileLoss and CompileMetrics read them (docs/keras-models.md): `loss`
 * as one loss for every output, a list in the model's output order, or a dict by output name;
 * `loss_weights` likewise (or one number); `metrics` as a list with one entry per output or a dict by
 * output name. The total loss is Σ wᵢ · lossᵢ, each lossᵢ the output's `sum_over_batch_size` mean, so
 * per example it is Σ wᵢ · (the example's lossᵢ). Figures are named as Keras names them: `<output>_loss`
 * (unweighted) and `<output>_<metric>`. An output without a loss adds nothing to it; when it has
 * metrics, Keras computes them against its targets all the same, so those are packed too (metric-targets.ts).
 *
 * The model's outputs reach the loss packed, one row per example (graph.ts graphOutput), and so do the
 * targets (core/data/parts.ts); both hold the outputs by name (packedOrder).
 */
import * as tf from '@tensorflow/tfjs-core';
import { packedOrder } from '../../data/parts';
import { closestMatch } from '../../text/did-you-mean';
import type { Labels } from '../parts';
import { fail, isObj, type Obj } from './config';
import type { GraphEnd } from './graph';
import { metricTargetsHead } from './metric-targets';
import {
  headCheckLabels,
  headMetricSums,
  headPerExample,
  labelsPerExample,
  lossHeadOf,
  namedMetrics,
  type LossHead,
} from './losses';

export interface OutputLoss {
  /** The output's name, and where its values sit in the packed output row. */
  end: GraphEnd;
  head: LossHead;
  weight: number;
  /** Where its targets sit in the packed target row, and how many per example. */
  labelOffset: number;
  labelSize: number;
  /** Its metrics, by the names reported (`department_accuracy`). */
  metrics: { name: string; metric: LossHead['metrics'][number] }[];
}

export interface OutputLosses {
  /** The outputs with a loss, in the model's output order. */
  outputs: OutputLoss[];
  /**
   * Outputs without a loss whose metrics read their targets (Keras computes them all the same):
   * weight 0, they add nothing to the loss; `head` is the target form their metrics take.
   */
  metricOnly: OutputLoss[];
  /** Targets per example, those of `outputs` and `metricOnly` packed. */
  labelWidth: number;
  /** Outputs neither a loss nor a metric reads: they take no targets. */
  unread: string[];
  /** Every figure reported besides `loss`: each output's loss (when several have one), then its metrics. */
  figures: string[];
}

/** `v` per output: one value for all, a list in output order, or a dict by output name (absent names: undefined). */
function perOutput(v: unknown, names: string[], what: string, single: ((x: unknown) => boolean) | null): unknown[] {
  if (single?.(v)) return names.map(() => v);
  if (Array.isArray(v)) {
    if (v.length !== names.length)
      fail(`compile_config ${what} lists ${v.length} entries for ${names.length} outputs (${names.join(', ')})`);
    return v;
  }
  if (isObj(v)) {
    for (const k of Object.keys(v))
      if (!names.includes(k)) {
        const near = closestMatch(k, names);
        fail(
          `compile_config ${what} names "${k}", which is not an output of the model (${near ? `did you mean "${near}"?` : `outputs: ${names.join(', ')}`})`,
        );
      }
    return names.map((n) => v[n]);
  }
  return fail(
    `compile_config ${what} ${JSON.stringify(v)}: a model with ${names.length} outputs takes ${single ? 'one value, ' : ''}a list with one entry per output or a dict by output name (${names.join(', ')})`,
  );
}

const isLoss = (v: unknown) => typeof v === 'string' || (isObj(v) && 'class_name' in v);
const absent = (v: unknown) => v === undefined || v === null;

/**
 * Each output's loss (null: the output contributes none). Keras 3 takes `None` in a list or dict;
 * a dict that leaves an output out only when the model's outputs are a dict itself (CompileLoss.build
 * refuses it for a list of outputs).
 */
function lossesOf(loss: unknown, names: string[], outputsByName: boolean): unknown[] {
  if (isObj(loss) && !isLoss(loss) && !outputsByName) {
    const missing = names.find((n) => !(n in loss));
    if (missing !== undefined && Object.keys(loss).every((k) => names.includes(k)))
      fail(
        `compile_config loss gives output "${missing}" no entry: Keras 3 needs a loss dict to name every output of a model whose outputs are a list (give "${missing}": null for an output without a loss)`,
      );
  }
  const losses = perOutput(loss, names, 'loss', isLoss).map((l) => (absent(l) ? null : l));
  if (losses.every((l) => l === null)) fail('compile_config loss gives no output a loss: there is nothing to train');
  return losses;
}

/**
 * Keras's names for one output's metrics and weighted_metrics: `<output>_<metric>`, a weighted metric
 * whose name is taken becoming `<output>_weighted_<metric>` (CompileMetrics.result). Without sample
 * weights a weighted metric is the plain metric.
 */
export function metricFigures(
  prefix: string,
  metrics: unknown,
  weighted: unknown,
): { name: string; metric: LossHead['metrics'][number] }[] {
  const out = namedMetrics(metrics).map((m) => ({ ...m, name: `${prefix}${m.name}` }));
  for (const m of namedMetrics(weighted)) {
    const plain = `${prefix}${m.name}`;
    out.push({ ...m, name: out.some((o) => o.name === plain) ? `${prefix}weighted_${m.name}` : plain });
  }
  return out;
}

/** The metrics or weighted_metrics entry of each output (none: null). */
function metricsPerOutput(raw: unknown, names: string[], what: string): unknown[] {
  // Keras takes no single metric for several outputs, nor a list of another length (CompileMetrics).
  return absent(raw) ? names.map(() => null) : perOutput(raw, names, what, null);
}

/**
 * The losses, weights and metrics of a model whose outputs are `ends` (in Keras's order);
 * `outputsByName`: the model's outputs are a dict (`keras.Model(x, {"a": …})`), not a list.
 */
export function outputLossesOf(compile: Obj | null, ends: GraphEnd[], outputsByName = false): OutputLosses {
  const names = ends.map((e) => e.name);
  if (absent(compile?.loss)) lossHeadOf(compile); // its message: no loss given
  const losses = lossesOf(compile!.loss, names, outputsByName);
  const rawWeights = compile?.loss_weights;
  const weights = absent(rawWeights)
    ? names.map(() => 1)
    : perOutput(rawWeights, names, 'loss_weights', (v) => typeof v === 'number');
  const metrics = metricsPerOutput(compile?.metrics, names, 'metrics');
  const weighted = metricsPerOutput(compile?.weighted_metrics, names, 'weighted_metrics');
  const unread: string[] = [];
  const metricOnly: Omit<OutputLoss, 'labelOffset'>[] = [];
  const heads = ends.flatMap((end, i) => {
    const both = [...namedRaw(metrics[i]), ...namedRaw(weighted[i])];
    const figures = metricFigures(`${end.name}_`, metrics[i], weighted[i]);
    if (losses[i] === null) {
      if (figures.length === 0) unread.push(end.name);
      else {
        const head = withOutput(end.name, () => metricTargetsHead(end, both));
        metricOnly.push({ end, head, weight: 0, labelSize: labelsPerExample(head, end.shape), metrics: figures });
      }
      return [];
    }
    const w = absent(weights[i]) ? 1 : weights[i];
    if (typeof w !== 'number' || !Number.isFinite(w))
      fail(`compile_config loss_weights for output "${end.name}" must be a number, got ${JSON.stringify(w)}`);
    const head = withOutput(end.name, () => lossHeadOf({ loss: losses[i], metrics: both }));
    return [{ end, head, weight: w as number, labelSize: labelsPerExample(head, end.shape), metrics: figures }];
  });
  const offsets = new Map<string, number>();
  let at = 0;
  for (const h of packedOrder([...heads, ...metricOnly].map((h) => ({ ...h, name: h.end.name })))) {
    offsets.set(h.name, at);
    at += h.labelSize;
  }
  const placed = <T extends { end: GraphEnd }>(h: T) => ({ ...h, labelOffset: offsets.get(h.end.name)! });
  const outputs = heads.map(placed);
  const read = [...outputs, ...metricOnly.map(placed)];
  // Keras reports each output's loss only when more than one output has a loss (CompileLoss.build).
  const lossFigures = outputs.length > 1 ? outputs.map((o) => `${o.end.name}_loss`) : [];
  const metricNames = ends.flatMap((e) => read.find((o) => o.end === e)?.metrics.map((m) => m.name) ?? []);
  const figures = [...lossFigures, ...metricNames];
  return { outputs, metricOnly: read.slice(outputs.length), unread, labelWidth: at, figures: [...new Set(figures)] };
}

const namedRaw = (raw: unknown): unknown[] => (absent(raw) ? [] : Array.isArray(raw) ? raw : [raw]);

function withOutput<T>(name: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof Error) e.message = e.message.replace(/^keras model: /, `keras model: output "${name}": `);
    throw e;
  }
}

/** One output's values [batch, ...shape] and targets out of the packed output and target rows. */
function outputAndTargets(o: OutputLoss, out: tf.Tensor, labels: tf.Tensor): [tf.Tensor, tf.Tensor] {
  const mine = tf.reshape(tf.slice(out, [0, o.end.offset], [-1, o.end.size]), [-1, ...o.end.shape]);
  const batch = out.shape[0]!;
  const raw = tf.slice(labels, [0, o.labelOffset], [-1, o.labelSize]);
  const sparse = o.head.kind === 'sparse_categorical_crossentropy';
  const targets = tf.reshape(
    sparse ? tf.cast(raw, 'int32') : raw,
    sparse ? [batch, ...o.end.shape.slice(0, -1)] : [batch, ...o.end.shape],
  );
  return [mine, targets];
}

/** Each output's (unweighted) loss per example, [batch] each, in output order. */
export function perOutputLosses(losses: OutputLosses, out: tf.Tensor, labels: tf.Tensor): tf.Tensor1D[] {
  return losses.outputs.map((o) => headPerExample(o.head, ...outputAndTargets(o, out, labels)));
}

/** The per-example loss Σ wᵢ · lossᵢ, [batch]. */
export function weightedPerExample(losses: OutputLosses, out: tf.Tensor, labels: tf.Tensor): tf.Tensor1D {
  const parts = perOutputLosses(losses, out, labels).map((l, i) => tf.mul(l, losses.outputs[i]!.weight));
  return (parts.length === 1 ? parts[0]! : tf.addN(parts)) as tf.Tensor1D;
}

/** The packed targets as a tensor [batch, labelWidth] (class ids travel as exact floats). */
export function packedLabelTensor(losses: OutputLosses, y: Labels, batchSize: number): tf.Tensor {
  return tf.tensor(y instanceof Float32Array ? y : Float32Array.from(y), [batchSize, losses.labelWidth], 'float32');
}

/** Columns [offset, offset + width) of a row-major [batch, rowWidth] array. */
function columns<T extends Float32Array | Int32Array>(
  a: T,
  batch: number,
  rowWidth: number,
  offset: number,
  width: number,
  out: T,
): T {
  for (let b = 0; b < batch; b++) out.set(a.subarray(b * rowWidth + offset, b * rowWidth + offset + width), b * width);
  return out;
}

/** One output's targets out of the packed rows, in the form its loss takes (class ids as int32). */
function targetsOf(o: OutputLoss, y: Labels, batch: number, labelWidth: number): Labels {
  const f = columns(
    y instanceof Float32Array ? y : Float32Array.from(y),
    batch,
    labelWidth,
    o.labelOffset,
    o.labelSize,
    new Float32Array(batch * o.labelSize),
  );
  if (o.head.kind !== 'sparse_categorical_crossentropy') return f;
  const bad = f.findIndex((v) => !Number.isInteger(v));
  if (bad >= 0) throw new RangeError(`targets of output "${o.end.name}": ${f[bad]} at ${bad} is not a class index`);
  return Int32Array.from(f);
}

/** The packed targets checked per output (count, class ranges), as one output's are. */
export function checkPackedLabels(losses: OutputLosses, y: Labels, batchSize: number): Labels {
  if (y.length !== batchSize * losses.labelWidth)
    throw new RangeError(
      `targets: expected ${batchSize * losses.labelWidth} values (batch ${batchSize} × ${losses.labelWidth}), got ${y.length}`,
    );
  for (const o of [...losses.outputs, ...losses.metricOnly]) {
    headCheckLabels(o.head, o.end.shape, targetsOf(o, y, batchSize, losses.labelWidth), batchSize);
  }
  return y instanceof Float32Array ? y : Float32Array.from(y);
}

/** Per-batch sums of each output's metrics, named `<output>_<metric>`. */
export function outputMetricSums(losses: OutputLosses, out: Float32Array, y: Labels, batchSize: number): Record<string, number> {
  const sums: Record<string, number> = {};
  const width = batchSize === 0 ? 0 : out.length / batchSize;
  for (const o of [...losses.outputs, ...losses.metricOnly]) {
    if (o.metrics.length === 0) continue;
    const mine = columns(out, batchSize, width, o.end.offset, o.end.size, new Float32Array(batchSize * o.end.size));
    const by = headMetricSums(o.head, mine, targetsOf(o, y, batchSize, losses.labelWidth), batchSize);
    for (const m of o.metrics) sums[m.name] = by[m.metric]!;
  }
  return sums;
}

/** Per-batch sums of each output's unweighted loss, named `<output>_loss` (Keras's per-output figures). */
export function outputLossSums(losses: OutputLosses, out: tf.Tensor, y: Labels, batchSize: number): Record<string, number> {
  const sums: Record<string, number> = {};
  if (losses.outputs.length < 2) return sums; // Keras reports only `loss` then
  tf.tidy(() => {
    const per = perOutputLosses(losses, out, packedLabelTensor(losses, y, batchSize));
    per.forEach((l, i) => {
      let s = 0;
      for (const v of l.dataSync()) s += v;
      sums[`${losses.outputs[i]!.end.name}_loss`] = s;
    });
  });
  return sums;
}
