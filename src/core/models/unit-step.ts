/**
 * A training step unit by unit (units.ts), for fully sharded parameters (docs/architecture.md, "The
 * memory model"). The caller's hooks hand over each unit's full parameters just before the unit runs
 * (a worker gathers them, prefetching the next) and take them back after; forward keeps only each
 * unit's input. Backward goes from the last unit to the first: it takes the unit's parameters again,
 * recomputes the unit from its kept input and differentiates it with the gradient arriving from the
 * unit after it, and hands the unit's gradients over as soon as they are complete.
 *
 * The steps between units are asynchronous, so a ring on the caller's thread moves bytes between them.
 * The kernels and their inputs are those of the whole-model tape (train.ts), so the loss, the metrics
 * and every gradient are the same bits.
 */
import * as tf from '@tensorflow/tfjs-core';
import '../tfjs/gradients';
import type { Model } from './build';
import type { StepUnit, UnitContext } from './units';
import { checkLabels, labelTensor, metricSums, perExampleLoss, type Labels } from './losses';
import type { BatchSums, GradSums, StepOptions } from './train';
import type { HostSparse } from '../optimizers/indexed-slices';
import { countCopy } from '../metering/copy-meter';

export type UnitPass = 'forward' | 'backward';

export interface UnitHooks {
  /**
   * Unit u's parameters as tensors holding the full values, for this pass. In backward, Embedding
   * tables (looked up in forward only) may be left out.
   */
  acquire(u: number, pass: UnitPass): Promise<Map<string, tf.Tensor>>;
  /** The pass is done with unit u's parameters (the caller disposes or keeps them). */
  release(u: number, pass: UnitPass): void;
  /** Waited for before unit u's gradients are handed over (e.g. a free reduce-scatter buffer). */
  beforeGradients?(u: number): Promise<void>;
  /** Unit u's dense gradients, complete; each view is valid only during the call. */
  gradients(u: number, grads: Map<string, Float32Array>): void;
}

export type UnitStepOptions = Pick<StepOptions, 'dropoutSeed' | 'exampleOffset' | 'scaleLoss'>;

/** Loss, metric sums and gradients of the (local) batch; dense gradients go to hooks.gradients, sparse ones come back. */
export async function unitStepSums(
  model: Model,
  units: StepUnit[],
  x: Float32Array,
  y: Labels,
  batchSize: number,
  hooks: UnitHooks,
  opts: UnitStepOptions = {},
): Promise<GradSums> {
  const labels = checkBatch(model, x, y, batchSize);
  const dropout = model.layers.find((l) => l.kind === 'dropout' && l.rate > 0);
  if (dropout && opts.dropoutSeed === undefined)
    throw new Error(`lossAndGrads: layer "${dropout.name}" is a dropout layer: pass dropoutSeed`);
  const ctx: UnitContext = { training: true, dropoutSeed: opts.dropoutSeed, exampleOffset: opts.exampleOffset ?? 0 };
  const step = new UnitStep(model, units, hooks, ctx, labels, batchSize);
  try {
    const sums = await step.forward(x);
    const sparse = await step.backward(opts.scaleLoss);
    return { ...sums, grads: new Map(), ...(model.params.some((p) => p.sparse) ? { sparse } : {}) };
  } finally {
    step.dispose();
  }
}

/** Loss and metric sums without gradients (dropout off), unit by unit. */
export async function unitEvaluateSums(
  model: Model,
  units: StepUnit[],
  x: Float32Array,
  y: Labels,
  batchSize: number,
  hooks: Pick<UnitHooks, 'acquire' | 'release'>,
): Promise<BatchSums> {
  const labels = checkBatch(model, x, y, batchSize);
  const step = new UnitStep(
    model,
    units,
    { ...hooks, gradients: () => {} },
    { training: false, exampleOffset: 0 },
    labels,
    batchSize,
  );
  try {
    return await step.forward(x);
  } finally {
    step.dispose();
  }
}

function checkBatch(model: Model, x: Float32Array, y: Labels, batchSize: number): Labels {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be an integer >= 1, got ${batchSize}`);
  const per = model.inputShape.reduce((a, b) => a * b, 1);
  if (x.length !== batchSize * per)
    throw new RangeError(
      `inputs: expected ${batchSize * per} values (batch ${batchSize} × [${model.inputShape}]), got ${x.length}`,
    );
  return checkLabels(model, y, batchSize);
}

/** One step's tensors across its awaits (tf.tidy cannot span them: each is disposed by hand). */
class UnitStep {
  /** Each unit's input; the last entry is the model's output. */
  private readonly inputs: (tf.Tensor | null)[] = [];
  /** Per Embedding layer: the rows forward looked up (the gradient's input) and their ids. */
  private readonly looked = new Map<string, { rows: tf.Tensor; ids: Int32Array; table: string }>();
  private readonly yt: tf.Tensor;

  constructor(
    private readonly model: Model,
    private readonly units: StepUnit[],
    private readonly hooks: UnitHooks,
    private readonly ctx: UnitContext,
    private readonly labels: Labels,
    private readonly batchSize: number,
  ) {
    this.yt = labelTensor(model, labels, batchSize);
  }

  async forward(x: Float32Array): Promise<BatchSums> {
    const { model, batchSize } = this;
    countCopy('upload', x.byteLength + this.labels.byteLength);
    this.inputs.push(
      tf.tidy(() => tf.reshape(tf.tensor(x, [batchSize, ...model.inputShape], 'float32'), [-1, ...model.inputShape])),
    );
    for (const unit of this.units) {
      const params = await this.hooks.acquire(unit.index, 'forward');
      const h = this.inputs[unit.index]!;
      const embed = unit.lookups.length > 0 ? this.lookup(unit, params) : undefined;
      this.inputs.push(tf.tidy(() => unit.apply(h, params, { ...this.ctx, embed })));
      this.hooks.release(unit.index, 'forward');
    }
    const out = this.inputs[this.units.length]!;
    const perExample = tf.tidy(() => perExampleLoss(model, out, this.yt));
    try {
      return {
        count: batchSize,
        lossSum: sumOf(perExample.dataSync() as Float32Array),
        metricSums: metricSums(model, out.dataSync() as Float32Array, this.labels, batchSize),
      };
    } finally {
      perExample.dispose();
    }
  }

  /** Forward's Embedding lookup: ids checked (before any tape, where a throw would leak), rows kept for backward. */
  private lookup(unit: StepUnit, params: Map<string, tf.Tensor>): UnitContext['embed'] {
    return (layer, ids, raw) => {
      const { table, inputDim } = unit.lookups.find((l) => l.layer === layer)!;
      const values = raw.dataSync();
      for (let i = 0; i < values.length; i++) {
        const id = values[i]!;
        if (!Number.isInteger(id) || id < 0 || id >= inputDim)
          throw new RangeError(
            `embedding "${layer}": input id ${id} at position ${i} is outside [0, ${inputDim}) (input_dim ${inputDim})`,
          );
      }
      const rows = tf.keep(tf.gather(params.get(table)!, ids));
      this.looked.set(layer, { rows, ids: Int32Array.from(ids.dataSync()), table });
      return rows;
    };
  }

  /** Backward, last unit first; returns the sparse (Embedding) gradients. */
  async backward(scaleLoss?: (l: tf.Scalar) => tf.Scalar): Promise<Map<string, HostSparse>> {
    const sparse = new Map<string, HostSparse>();
    const tables = new Set(this.model.params.filter((p) => p.sparse).map((p) => p.path));
    let dy: tf.Tensor | null = null;
    for (let u = this.units.length - 1; u >= 0; u--) {
      const unit = this.units[u]!;
      const params = await this.hooks.acquire(u, 'backward');
      const dense = unit.params.filter((p) => !tables.has(p));
      const looked = unit.lookups.map((l) => this.looked.get(l.layer)!);
      const withInput = u > 0;
      const xs = [...(withInput ? [this.inputs[u]!] : []), ...dense.map((p) => params.get(p)!), ...looked.map((l) => l.rows)];
      const last = u === this.units.length - 1;
      const f = (...args: tf.Tensor[]): tf.Tensor => {
        const map = new Map(params);
        const at = withInput ? 1 : 0;
        dense.forEach((p, i) => map.set(p, args[at + i]!));
        const rows = new Map(unit.lookups.map((l, i) => [l.layer, args[at + dense.length + i]!]));
        const embed = rows.size > 0 ? (layer: string) => rows.get(layer)! : undefined;
        const out = unit.apply(withInput ? args[0]! : this.inputs[0]!, map, { ...this.ctx, embed });
        if (!last) return out;
        const total = tf.sum(perExampleLoss(this.model, out, this.yt)) as tf.Scalar;
        return scaleLoss ? scaleLoss(total) : total;
      };
      const grads = tf.grads(f)(xs, dy ?? undefined);
      dy?.dispose();
      this.inputs[u + 1]?.dispose();
      this.inputs[u + 1] = null;
      dy = withInput ? grads[0]! : null;
      const at = withInput ? 1 : 0;
      await this.hooks.beforeGradients?.(u);
      const views = new Map(dense.map((p, i) => [p, transientView(grads[at + i]!)] as [string, Float32Array]));
      for (const v of views.values()) countCopy('download', v.byteLength); // the hook's copy out of the backend
      this.hooks.gradients(u, views);
      looked.forEach((l, i) => {
        const g = grads[at + dense.length + i]!;
        sparse.set(l.table, { rows: l.ids, values: ownedData(g), rowSize: g.shape[g.rank - 1]! });
      });
      grads.slice(at).forEach((g) => g.dispose());
      this.hooks.release(u, 'backward');
    }
    return sparse;
  }

  dispose(): void {
    for (const t of this.inputs) t?.dispose();
    for (const l of this.looked.values()) l.rows.dispose();
    this.yt.dispose();
  }
}

/** A float32 tensor's values without a copy where the backend allows one (valid until the tensor is disposed). */
function transientView(t: tf.Tensor): Float32Array {
  const backend = tf.backend() as tf.KernelBackend & { typedArrayFromHeap?: (t: tf.TensorInfo) => Float32Array };
  if (tf.getBackend() === 'wasm' && backend.typedArrayFromHeap) return backend.typedArrayFromHeap(t);
  const d = t.dataSync() as Float32Array;
  if (tf.getBackend() !== 'cpu') countCopy('download', d.byteLength); // other backends copy in dataSync
  return d;
}

/** A tensor's values in a Float32Array nothing else holds (cpu's dataSync returns the live buffer). */
function ownedData(t: tf.Tensor): Float32Array {
  const d = t.dataSync() as Float32Array;
  countCopy('download', d.byteLength);
  return tf.getBackend() === 'wasm' ? d : d.slice();
}

function sumOf(values: Float32Array): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i]!;
  return s;
}
