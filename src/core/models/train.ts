/**
 * One training step's compute: loss, gradients and metrics of a batch, from plain Float32Arrays to plain
 * Float32Arrays (tensors live only inside a tidy scope, so nothing leaks per step).
 *
 * Data parallel: each worker calls lossAndGradsSum on its local slice; summing the parts (combineSums)
 * and dividing by the total count (meansFromSums) gives exactly the global-batch mean, whatever the
 * slice sizes.
 */
import * as tf from '@tensorflow/tfjs-core';
import '../tfjs/gradients';
import type { Model } from './build';
import { forward, paramTensors, type ParamValue } from './forward';
import { checkLabels, labelTensor, metricSums, outputLosses, perExampleLoss, type Labels } from './losses';
import type { HostSparse } from '../optimizers/indexed-slices';
import { embeddingStep } from './embedding-step';
import { denseStep, type StepLoss, type StepOutputs } from './dense-step';
import { collectGrads, sinkGrads, type GradSink } from './grad-handoff';
import { defaultContext, type ComputeContext } from '../context';
import { extraLoss, finishExtras, stepExtras } from './step-extras';

export type { GradSink } from './grad-handoff';

export interface BatchSums {
  /** Number of examples. */
  count: number;
  /** Σ over examples of the per-example loss (float64 sum). */
  lossSum: number;
  /** Σ over examples of each metric. */
  metricSums: Record<string, number>;
}
export interface GradSums extends BatchSums {
  /** Gradient of lossSum with respect to each parameter (except the sparse ones). */
  grads: Map<string, Float32Array>;
  /**
   * Parameters with `sparse: true` (Embedding tables): one row of gradient per looked-up id, ids in
   * batch order and possibly repeated (global row numbers). Absent when the model has none.
   */
  sparse?: Map<string, HostSparse>;
  /** New values of the model's non-trainable variables (BatchNormalization's moving statistics), when it has any. */
  stateUpdates?: Map<string, Float32Array>;
}
export interface BatchMeans {
  count: number;
  loss: number;
  metrics: Record<string, number>;
}
export interface GradMeans extends BatchMeans {
  /** Gradient of the mean loss. */
  grads: Map<string, Float32Array>;
  sparse?: Map<string, HostSparse>;
}

export interface StepOptions {
  /** Dropout seed for this step (required if the model has dropout). */
  dropoutSeed?: number;
  /** Global index of the first example of this slice (keys the dropout masks). Default 0. */
  exampleOffset?: number;
  /** The optimizer's scaleLoss (Keras 3 loss_scale_factor): gradients are taken of the scaled loss sum. */
  scaleLoss?: (loss: tf.Scalar) => tf.Scalar;
  /**
   * Takes each dense gradient as a view valid only during the call (on wasm, the backend's own memory)
   * and copies it where the caller needs it, so a gradient is copied once instead of downloaded and
   * then copied again. Returns the array to report in `grads`, or null to leave it out. Called during
   * backward, as soon as each gradient is complete (last layer first: grad-hooks.ts), so the caller
   * can start sending it while backward goes on.
   */
  gradSink?: GradSink;
  /**
   * Sums a Float32Array in place over the data-parallel devices and returns when done (blocking):
   * BatchNormalization's batch statistics and their gradients are the global batch's. Absent on one device.
   */
  allReduce?: (data: Float32Array) => void;
  /** Whose copy meter counts the step's uploads and downloads (default: the library's default context). */
  context?: ComputeContext;
}

/** The batch's inputs against the model's input shape (the unit step checks them the same way). */
export function checkInputs(model: Model, x: Float32Array, batchSize: number): void {
  if (!Number.isInteger(batchSize) || batchSize < 0) throw new RangeError(`batchSize must be an integer >= 0, got ${batchSize}`);
  const per = model.inputShape.reduce((a, b) => a * b, 1);
  if (x.length !== batchSize * per) {
    throw new RangeError(
      `inputs: expected ${batchSize * per} values (batch ${batchSize} × [${model.inputShape}]), got ${x.length}`,
    );
  }
}

function zeroSums(model: Model, withGrads: boolean): GradSums {
  const metrics: Record<string, number> = {};
  for (const m of model.metrics) metrics[m] = 0;
  const grads = new Map<string, Float32Array>();
  if (withGrads)
    for (const p of model.params.filter((q) => !q.sparse))
      grads.set(p.path, new Float32Array(p.shape.reduce((a, b) => a * b, 1)));
  const sparseParams = model.params.filter((p) => p.sparse);
  if (!withGrads || sparseParams.length === 0) return { count: 0, lossSum: 0, metricSums: metrics, grads };
  const sparse = new Map(
    sparseParams.map(
      (p) =>
        [
          p.path,
          { rows: new Int32Array(0), values: new Float32Array(0), rowSize: p.shape.slice(1).reduce((a, b) => a * b, 1) },
        ] as [string, HostSparse],
    ),
  );
  return { count: 0, lossSum: 0, metricSums: metrics, grads, sparse };
}

/** A kept scalar's value (0 for none), disposing it. */
function scalarOf(t: tf.Scalar | null): number {
  if (!t) return 0;
  const v = t.dataSync()[0]!;
  t.dispose();
  return v;
}

function sumOf(values: Float32Array): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i];
  return s;
}

/** A batch's loss and metric sums from the model's output and the per-example loss (the unit step's too). */
export function batchSums(
  model: Model,
  out: tf.Tensor,
  perExample: tf.Tensor,
  labels: Labels,
  batchSize: number,
  extraLossSum = 0,
): BatchSums {
  return {
    count: batchSize,
    lossSum: sumOf(perExample.dataSync() as Float32Array) + extraLossSum,
    metricSums: {
      ...outputLosses(model, out, labels, batchSize),
      ...metricSums(model, out.dataSync() as Float32Array, labels, batchSize),
    },
  };
}

/**
 * Loss sum, gradients of the loss sum, and metric sums over the given (local) batch; gradients come back
 * as host arrays. The dense step (dense-step.ts) or, with Embedding tables, the sparse step
 * (embedding-step.ts) runs forward and backward; the gradients are handed over by a strategy
 * (grad-handoff.ts): to `opts.gradSink` during backward, or collected after it.
 */
export function lossAndGradsSum(
  model: Model,
  params: Map<string, ParamValue>,
  x: Float32Array,
  y: Labels,
  batchSize: number,
  opts: StepOptions = {},
): GradSums {
  checkInputs(model, x, batchSize);
  const labels = checkLabels(model, y, batchSize);
  requireDropoutSeed(model, opts.dropoutSeed);
  if (batchSize === 0) return zeroSums(model, true);
  const sparse = model.params.some((p) => p.sparse);
  const { copies } = opts.context ?? defaultContext;
  // The embedding step runs forward up to the ids before the tape: it collects its gradients after
  // backward, and cannot wait for deferred parameters (a sink's fills).
  const handOff = opts.gradSink && !sparse ? sinkGrads(opts.gradSink, copies) : collectGrads(copies);
  let result: GradSums | undefined;
  tf.tidy(() => {
    const pt = paramTensors(model, params, handOff.fills, copies);
    const xt = tf.tensor(x, [batchSize, ...model.inputShape], 'float32');
    const yt = labelTensor(model, labels, batchSize);
    copies.count('upload', x.byteLength + labels.byteLength);
    const extras = stepExtras(model, params, batchSize, true, copies);
    const base = { training: true, dropoutSeed: opts.dropoutSeed, exampleOffset: opts.exampleOffset ?? 0 };
    const loss: StepLoss = {
      perExample: (out) => perExampleLoss(model, out, yt),
      extra: () => extraLoss(extras),
      scale: opts.scaleLoss,
    };
    const step = sparse
      ? embeddingStep(model, pt, xt, { ...base, ...extras, allReduce: opts.allReduce }, loss, handOff)
      : denseStep(model, pt, xt, { ...base, extras, allReduce: opts.allReduce }, loss, handOff);
    result = { ...sumsOf(model, step, labels, batchSize), stateUpdates: finishExtras(extras, copies) };
  });
  return result!;
}

/**
 * A model with dropout needs the step's dropout seed. Checked before any step runs, not in forward:
 * an error thrown under the gradient tape leaks its saved tensors.
 */
export function requireDropoutSeed(model: Model, dropoutSeed: number | undefined): void {
  const dropout = model.layers.find((l) => l.kind === 'dropout' && l.rate > 0);
  if (dropout && dropoutSeed === undefined)
    throw new Error(`lossAndGrads: layer "${dropout.name}" is a dropout layer: pass dropoutSeed`);
}

/** A step's loss and metric sums and its gradients; disposes the tensors the step kept. */
function sumsOf(model: Model, step: StepOutputs, labels: Labels, batchSize: number): GradSums {
  try {
    return {
      ...batchSums(model, step.out, step.perExample, labels, batchSize, scalarOf(step.extra)),
      grads: step.grads,
      ...(step.sparse ? { sparse: step.sparse } : {}),
    };
  } finally {
    step.out.dispose();
    step.perExample.dispose();
  }
}

/** Loss and metric sums without gradients (dropout off). */
export function evaluateSum(
  model: Model,
  params: Map<string, ParamValue>,
  x: Float32Array,
  y: Labels,
  batchSize: number,
): BatchSums {
  checkInputs(model, x, batchSize);
  const labels = checkLabels(model, y, batchSize);
  if (batchSize === 0) return zeroSums(model, false);
  let result: BatchSums | undefined;
  tf.tidy(() => {
    const pt = paramTensors(model, params);
    const extras = stepExtras(model, params, batchSize, false, defaultContext.copies);
    const out = forward(model, pt, tf.tensor(x, [batchSize, ...model.inputShape], 'float32'), { training: false, extras });
    const perExample = perExampleLoss(model, out, labelTensor(model, labels, batchSize));
    const extra = extraLoss(extras);
    finishExtras(extras, defaultContext.copies);
    result = batchSums(model, out, perExample, labels, batchSize, scalarOf(extra));
  });
  return result!;
}

/** Adds the sums of several slices (gradients summed in float32, slice order). */
export function combineSums(parts: GradSums[]): GradSums {
  if (parts.length === 0) throw new RangeError('combineSums: no parts');
  const grads = new Map<string, Float32Array>();
  for (const [path, g] of parts[0].grads) grads.set(path, Float32Array.from(g));
  const metrics: Record<string, number> = { ...parts[0].metricSums };
  let count = parts[0].count;
  let lossSum = parts[0].lossSum;
  for (const part of parts.slice(1)) {
    count += part.count;
    lossSum += part.lossSum;
    for (const k of Object.keys(metrics)) metrics[k] += part.metricSums[k];
    for (const [path, acc] of grads) {
      const g = part.grads.get(path)!;
      for (let i = 0; i < acc.length; i++) acc[i] += g[i];
    }
  }
  if (!parts[0].sparse) return { count, lossSum, metricSums: metrics, grads };
  // Sparse rows concatenate in part order: the same rows, in the same order, as the unsplit batch.
  const sparse = new Map<string, HostSparse>();
  for (const [path, first] of parts[0].sparse) {
    const all = parts.map((p) => p.sparse!.get(path)!);
    sparse.set(path, {
      rows: concat(
        all.map((a) => a.rows),
        Int32Array,
      ),
      values: concat(
        all.map((a) => a.values as Float32Array),
        Float32Array,
      ),
      rowSize: first.rowSize,
    });
  }
  return { count, lossSum, metricSums: metrics, grads, sparse };
}

function concat<T extends Int32Array | Float32Array>(arrays: T[], Ctor: { new (n: number): T }): T {
  const out = new Ctor(arrays.reduce((a, b) => a + b.length, 0));
  let at = 0;
  for (const a of arrays) {
    out.set(a, at);
    at += a.length;
  }
  return out;
}

/** Turns sums into means (divides by count; a zero count gives zeros). */
export function meansFromSums(s: GradSums): GradMeans;
export function meansFromSums(s: BatchSums): BatchMeans;
export function meansFromSums(s: BatchSums | GradSums): BatchMeans | GradMeans {
  const inv = s.count === 0 ? 0 : 1 / s.count;
  const metrics: Record<string, number> = {};
  for (const [k, v] of Object.entries(s.metricSums)) metrics[k] = v * inv;
  const means: BatchMeans = { count: s.count, loss: s.lossSum * inv, metrics };
  if (!('grads' in s)) return means;
  const grads = new Map<string, Float32Array>();
  for (const [path, g] of s.grads) {
    const out = new Float32Array(g.length);
    for (let i = 0; i < g.length; i++) out[i] = g[i] / s.count || 0;
    grads.set(path, out);
  }
  if (!s.sparse) return { ...means, grads };
  const sparse = new Map<string, HostSparse>();
  for (const [path, g] of s.sparse) {
    const values = new Float32Array(g.values.length);
    for (let i = 0; i < values.length; i++) values[i] = g.values[i]! / s.count || 0;
    sparse.set(path, { rows: g.rows, values, rowSize: g.rowSize });
  }
  return { ...means, grads, sparse };
}

/** Mean loss over the batch, gradients of that mean, and metric means. */
export function lossAndGrads(
  model: Model,
  params: Map<string, Float32Array>,
  x: Float32Array,
  y: Labels,
  batchSize: number,
  opts: StepOptions = {},
): GradMeans {
  return meansFromSums(lossAndGradsSum(model, params, x, y, batchSize, opts));
}

/** Mean loss and metrics (dropout off). */
export function evaluate(
  model: Model,
  params: Map<string, Float32Array>,
  x: Float32Array,
  y: Labels,
  batchSize: number,
): BatchMeans {
  return meansFromSums(evaluateSum(model, params, x, y, batchSize));
}
