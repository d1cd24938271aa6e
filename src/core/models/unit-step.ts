/**
 * A training step unit by unit (units.ts), for fully sharded parameters (docs/architecture.md, "The
 * memory model"). The caller's hooks hand over each unit's full parameters just before the unit runs
 * (a worker gathers them, prefetching the next) and take them back after; forward keeps only each
 * unit's input. Backward goes from the last unit to the first: it takes the unit's parameters again,
 * recomputes the unit from its kept input and differentiates it with the gradient arriving from the
 * unit after it, and hands the unit's gradients over as soon as they are complete.
 *
 * The steps between units are asynchronous, so a ring on the caller's thread moves bytes between them.
 * The pieces are the whole-model step's (train.ts): its input checks, its loss (dense-step.ts's
 * StepLoss, loss scale included), its gradient hand-off (grad-handoff.ts: to `gradSink` as each unit
 * completes, or collected) and its sums, with the same kernels, so the loss, the metrics and every
 * gradient are the same bits.
 */
import * as tf from '@tensorflow/tfjs-core';
import '../tfjs/gradients';
import type { Model } from './build';
import type { StepUnit, UnitContext } from './units';
import { checkLabels, labelTensor, perExampleLoss, type Labels } from './losses';
import { batchSums, checkInputs, requireDropoutSeed, type BatchSums, type GradSums, type StepOptions } from './train';
import type { StepLoss } from './dense-step';
import { collectGrads, sinkGrads, type GradHandOff } from './grad-handoff';
import type { HostSparse } from '../optimizers/indexed-slices';
import { defaultContext } from '../context';
import type { CopyMeter } from '../metering/copy-meter';

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
}

/**
 * lossAndGradsSum's options. With `gradSink`, each unit's dense gradients go to it right after the
 * unit's backward (last unit first), before its parameters are released; without, they are collected.
 */
export type UnitStepOptions = Pick<StepOptions, 'dropoutSeed' | 'exampleOffset' | 'scaleLoss' | 'gradSink' | 'context'>;

/** Loss, metric sums and gradients of the (local) batch, as lossAndGradsSum gives them. */
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
  requireDropoutSeed(model, opts.dropoutSeed);
  const { copies } = opts.context ?? defaultContext;
  const ctx: UnitContext = { training: true, dropoutSeed: opts.dropoutSeed, exampleOffset: opts.exampleOffset ?? 0 };
  const handOff = opts.gradSink ? sinkGrads(opts.gradSink, copies) : collectGrads(copies);
  const step = new UnitStep(model, units, hooks, ctx, labels, batchSize, copies, opts.scaleLoss);
  try {
    const sums = await step.forward(x);
    const { grads, sparse } = await step.backward(handOff);
    return { ...sums, grads, ...(model.params.some((p) => p.sparse) ? { sparse } : {}) };
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
  copies: CopyMeter = defaultContext.copies,
): Promise<BatchSums> {
  const labels = checkBatch(model, x, y, batchSize);
  const step = new UnitStep(model, units, hooks, { training: false, exampleOffset: 0 }, labels, batchSize, copies);
  try {
    return await step.forward(x);
  } finally {
    step.dispose();
  }
}

/** lossAndGradsSum's checks; a unit step needs at least one example (its tensors have a batch axis). */
function checkBatch(model: Model, x: Float32Array, y: Labels, batchSize: number): Labels {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be an integer >= 1, got ${batchSize}`);
  checkInputs(model, x, batchSize);
  return checkLabels(model, y, batchSize);
}

/** One step's tensors across its awaits (tf.tidy cannot span them: each is disposed by hand). */
class UnitStep {
  /** Each unit's input; the last entry is the model's output. */
  private readonly inputs: (tf.Tensor | null)[] = [];
  /** Per Embedding layer: the rows forward looked up (the gradient's input) and their ids. */
  private readonly looked = new Map<string, { rows: tf.Tensor; ids: Int32Array; table: string }>();
  private readonly loss: StepLoss;
  private readonly yt: tf.Tensor;

  constructor(
    private readonly model: Model,
    private readonly units: StepUnit[],
    private readonly hooks: Pick<UnitHooks, 'acquire' | 'release'> & Partial<UnitHooks>,
    private readonly ctx: UnitContext,
    private readonly labels: Labels,
    private readonly batchSize: number,
    private readonly copies: CopyMeter,
    scale?: StepLoss['scale'],
  ) {
    const yt = labelTensor(model, labels, batchSize);
    this.yt = yt;
    this.loss = { perExample: (out) => perExampleLoss(model, out, yt), scale };
  }

  async forward(x: Float32Array): Promise<BatchSums> {
    const { model, batchSize } = this;
    this.copies.count('upload', x.byteLength + this.labels.byteLength);
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
    const perExample = tf.tidy(() => this.loss.perExample(out));
    try {
      return batchSums(model, out, perExample, this.labels, batchSize);
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

  /**
   * Backward, last unit first: each unit's dense gradients to `handOff` as soon as they are complete
   * (what it reports is the step's `grads`); the sparse (Embedding) gradients come back as rows.
   */
  async backward(handOff: GradHandOff): Promise<{ grads: Map<string, Float32Array>; sparse: Map<string, HostSparse> }> {
    const grads = new Map<string, Float32Array>();
    const sparse = new Map<string, HostSparse>();
    const tables = new Set(this.model.params.filter((p) => p.sparse).map((p) => p.path));
    let dy: tf.Tensor | null = null;
    for (let u = this.units.length - 1; u >= 0; u--) {
      const unit = this.units[u]!;
      const params = await this.hooks.acquire(u, 'backward');
      const dense = unit.params.filter((p) => !tables.has(p));
      const looked = unit.lookups.map((l) => this.looked.get(l.layer)!);
      const withInput = u > 0;
      const last = u === this.units.length - 1;
      const xs = [...(withInput ? [this.inputs[u]!] : []), ...dense.map((p) => params.get(p)!), ...looked.map((l) => l.rows)];
      const at = withInput ? 1 : 0;
      const f = (...args: tf.Tensor[]): tf.Tensor => {
        const map = new Map(params);
        dense.forEach((p, i) => map.set(p, args[at + i]!));
        const rows = new Map(unit.lookups.map((l, i) => [l.layer, args[at + dense.length + i]!]));
        const embed = rows.size > 0 ? (layer: string) => rows.get(layer)! : undefined;
        const out = unit.apply(withInput ? args[0]! : this.inputs[0]!, map, { ...this.ctx, embed });
        if (!last) return out;
        const total = tf.sum(this.loss.perExample(out)) as tf.Scalar;
        return this.loss.scale ? this.loss.scale(total) : total;
      };
      const g = tf.grads(f)(xs, dy ?? undefined);
      dy?.dispose();
      this.inputs[u + 1]?.dispose();
      this.inputs[u + 1] = null;
      dy = withInput ? g[0]! : null;
      await this.hooks.beforeGradients?.(u);
      for (const [p, v] of handOff.finish(dense, g.slice(at, at + dense.length))) grads.set(p, v);
      looked.forEach((l, i) => {
        const rowGrad = g[at + dense.length + i]!;
        sparse.set(l.table, { rows: l.ids, values: handOff.download(rowGrad), rowSize: rowGrad.shape[rowGrad.rank - 1]! });
      });
      g.slice(at).forEach((t) => t.dispose());
      this.hooks.release(u, 'backward');
    }
    return { grads, sparse };
  }

  dispose(): void {
    for (const t of this.inputs) t?.dispose();
    for (const l of this.looked.values()) l.rows.dispose();
    this.yt.dispose();
  }
}
