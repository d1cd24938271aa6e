import * as tf from '@tensorflow/tfjs-core';
import { KeyError, RuntimeError, ValueError, warn } from '../errors';
import { Layout } from '../dtensor/layout';
import { Mesh } from '../dtensor/mesh';
import type { Collectives } from '../collectives/types';
import { ShardedVariable } from '../variables/sharded-variable';
import { LearningRateSchedule } from './schedules';
import { deduplicateSparse } from './indexed-slices';
import { toLocalGradient, disposeGrad, type Grad, type GradientInput } from './gradients';
import { clipGradients } from './clip-pipeline';
import { computeGradientsOf } from './compute-gradients';
import { copyInto, updateAverage } from './ema';
import { accumulate, takeMean } from './gradient-accumulation';
import { transformGrad } from './clipping';
import { decayWeights } from './weight-decay';
import { describe, unzipPairs } from './grads-and-vars';

export { describe } from './grads-and-vars';
import { validateBaseArgs, pyRepr, type BaseOptimizerArgs } from './optimizer-config';

export type ModelVariable = tf.Variable | ShardedVariable;
export type GradAndVar = readonly [GradientInput, ModelVariable];

export interface MeshArgs {
  /** The mesh the optimizer's replicated state lives on (default: one local device). */
  mesh?: Mesh;
  /** How this device reaches the others for cross-shard norms (default: none, a single device). */
  collectives?: Collectives;
}

/** The scalar step counter, replicated on every device (Keras: int64 `iteration`, layout rank-0 replicated). */
export class IterationsVariable {
  readonly name = 'iteration';
  readonly dtype = 'int64';
  constructor(
    public value: number,
    readonly layout: Layout,
  ) {}
}
export type OptimizerVariable = IterationsVariable | ShardedVariable;

/**
 * Keras's base optimizer (spec §2–§11) over sharded variables: iterations, learning rate and schedules,
 * clipping, EMA, weight decay, the apply_gradients pipeline. Subclasses define build() and the update.
 */
export abstract class BaseOptimizer {
  readonly name: string;
  readonly mesh: Mesh;
  readonly collectives?: Collectives;
  readonly deviceId: number;
  weightDecay: number | null;
  clipnorm: number | null;
  clipvalue: number | null;
  globalClipnorm: number | null;
  readonly useEma: boolean;
  readonly emaMomentum: number;
  readonly emaOverwriteFrequency: number | null;
  readonly jitCompile: boolean;
  readonly lossScaleFactor: number | null;
  /** N ≥ 2, or null: no accumulation. */
  readonly gradientAccumulationSteps: number | null;
  readonly emaFirstStep: 'keras2' | 'keras3';
  protected built = false;
  protected accumulators: ShardedVariable[] = [];
  protected trackedVariables: ShardedVariable[] = [];
  protected readonly indexOf = new Map<number, number>();
  protected averages: ShardedVariable[] = [];
  private readonly wrapped = new WeakMap<tf.Variable, ShardedVariable>();
  private iterationsVar: IterationsVariable;
  private lrValue = 0;
  private schedule: LearningRateSchedule | null = null;
  private nameScope: string;

  constructor(args: BaseOptimizerArgs & MeshArgs, defaultName: string) {
    validateBaseArgs(args);
    this.name = args.name ?? defaultName;
    this.nameScope = this.name;
    this.mesh = args.mesh ?? Mesh.single();
    this.collectives = args.collectives;
    this.deviceId = args.collectives?.deviceId ?? this.mesh.deviceIds[0]!;
    this.weightDecay = args.weightDecay ?? null;
    this.clipnorm = args.clipnorm ?? null;
    this.clipvalue = args.clipvalue ?? null;
    this.globalClipnorm = args.globalClipnorm ?? null;
    this.useEma = Boolean(args.useEma);
    this.emaMomentum = args.emaMomentum ?? 0.99;
    this.emaOverwriteFrequency = args.emaOverwriteFrequency ?? null;
    this.jitCompile = args.jitCompile ?? true;
    this.lossScaleFactor = args.lossScaleFactor ?? null;
    this.gradientAccumulationSteps = args.gradientAccumulationSteps || null;
    this.emaFirstStep = args.emaFirstStep ?? 'keras2';
    this.iterationsVar = new IterationsVariable(0, Layout.replicated(this.mesh, 0));
    this.learningRate = args.learningRate ?? 0.001;
  }

  // ---- iterations and learning rate (spec §4) ----
  /** Applied steps. With gradient accumulation, Keras 3's floor(calls / N) (the stored counter counts calls). */
  get iterations(): number {
    const n = this.gradientAccumulationSteps;
    return n ? Math.floor(this.iterationsVar.value / n) : this.iterationsVar.value;
  }
  /** Every applyGradients call (Keras 3's `_iterations`, the `iteration` variable); schedules read this. */
  get callCount(): number {
    return this.iterationsVar.value;
  }
  /** With accumulation, sets the call counter to value·N, so `iterations` reads back `value`. */
  set iterations(value: number) {
    if (this.built) {
      throw new RuntimeError(
        `Cannot set \`iterations\` to a new Variable after the Optimizer weights have been created. Here it is attempting to set \`iterations\` to ${value}.Usually this means you are trying to set \`iterations\` after calling \`apply_gradients()\`. Please set \`iterations\` before calling \`apply_gradients()\`.`,
      );
    }
    if (!Number.isInteger(value) || value < 0)
      throw new ValueError(`\`iterations\` must be a non-negative integer. Received: ${value}`);
    this.iterationsVar.value = value * (this.gradientAccumulationSteps ?? 1);
  }

  /** The current learning rate as the float32 variable holds it (for a schedule: its value at the last apply). */
  get learningRate(): number {
    return this.lrValue;
  }
  set learningRate(value: number | LearningRateSchedule) {
    if (value instanceof LearningRateSchedule) {
      this.schedule = value;
      this.lrValue = value.call(this.callCount);
      return;
    }
    if (this.schedule) {
      throw new TypeError(
        'This optimizer was created with a `LearningRateSchedule` object as its `learning_rate` constructor argument, hence its learning rate is not settable. If you need the learning rate to be settable, you should instantiate the optimizer with a float `learning_rate` argument.',
      );
    }
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new TypeError(`\`learning_rate\` must be a number or a LearningRateSchedule. Received: ${pyRepr(value)}`);
    }
    this.lrValue = Math.fround(value);
  }
  get lr(): number {
    return this.learningRate;
  }
  set lr(value: number | LearningRateSchedule) {
    this.learningRate = value;
  }
  /** The schedule driving the learning rate, if any. */
  get learningRateSchedule(): LearningRateSchedule | null {
    return this.schedule;
  }

  // ---- variables (spec §3) ----
  /**
   * Keras order: iteration, then per model variable its EMA average and gradient accumulator (each
   * when enabled), then the subclass's slots.
   */
  get variables(): OptimizerVariable[] {
    const perVariable = this.trackedVariables.flatMap((_, i) =>
      [this.averages[i], this.accumulators[i]].filter((v): v is ShardedVariable => v !== undefined),
    );
    return [this.iterationsVar, ...perVariable, ...this.slotVariables()];
  }
  protected abstract slotVariables(): ShardedVariable[];

  /** A tf.Variable is treated as replicated on the optimizer's mesh; a ShardedVariable is used as is. */
  asSharded(v: ModelVariable): ShardedVariable {
    if (v instanceof ShardedVariable) return v;
    if (!(v instanceof tf.Variable)) {
      throw new TypeError(`Expected a tf.Variable or a ShardedVariable, got ${describe(v)}.`);
    }
    let s = this.wrapped.get(v);
    if (!s) {
      s = ShardedVariable.wrap(v, Layout.replicated(this.mesh, v.rank), this.deviceId);
      this.wrapped.set(v, s);
    }
    return s;
  }

  /** Creates the optimizer state for `varList` once; later calls do nothing (Keras's one-shot build). */
  build(varList: readonly ModelVariable[]): void {
    if (this.built) return;
    this.trackedVariables = varList.map((v) => this.asSharded(v));
    this.trackedVariables.forEach((v, i) => this.indexOf.set(v.uniqueId, i));
    if (this.useEma) {
      this.averages = this.trackedVariables.map((v) => this.addVariableFromReference(v, 'average', v));
    }
    if (this.gradientAccumulationSteps) {
      this.accumulators = this.trackedVariables.map((v) => this.addVariableFromReference(v, 'gradient_accumulator'));
    }
    this.buildSlots(this.trackedVariables);
    this.built = true;
  }
  protected abstract buildSlots(vars: ShardedVariable[]): void;

  /**
   * A slot shaped like `modelVar`: zeros with its layout; a tensor initial value becomes replicated on
   * the optimizer mesh; a ShardedVariable initial value gives its values (EMA averages start as copies).
   */
  addVariableFromReference(
    modelVar: ModelVariable,
    variableName: string,
    initialValue?: tf.Tensor | ShardedVariable,
  ): ShardedVariable {
    const ref = this.asSharded(modelVar);
    const name = `${this.nameScope}/${variableName}/${ref.name}`;
    const base = { name, dtype: ref.dtype, storage: ref.storage, deviceId: this.deviceId, trainable: false } as const;
    if (initialValue instanceof tf.Tensor) {
      return new ShardedVariable({
        ...base,
        globalShape: initialValue.shape,
        layout: Layout.replicated(this.mesh, initialValue.rank),
        initialValue: initialValue.dataSync() as Float32Array,
      });
    }
    const values = initialValue ? initialValue.readLocal() : undefined;
    return new ShardedVariable({
      ...base,
      globalShape: ref.globalShape,
      layout: ref.layout,
      initialValue: values,
      initialIsLocal: true,
    });
  }

  /** A replicated variable of the given shape (Keras add_variable). */
  addVariable(
    shape: readonly number[],
    options: { dtype?: 'float32' | 'float64'; initializer?: 'zeros' | 'ones'; name?: string } = {},
  ): ShardedVariable {
    const size = shape.reduce((a, b) => a * b, 1);
    const fill = options.initializer === 'ones' ? 1 : 0;
    return new ShardedVariable({
      name: options.name ?? 'Variable',
      globalShape: shape,
      dtype: options.dtype,
      layout: Layout.replicated(this.mesh, shape.length),
      deviceId: this.deviceId,
      initialValue: new Array<number>(size).fill(fill),
      trainable: false,
    });
  }

  /** The local values of `variables`, in order (iterations as a number). */
  getWeights(): (number | Float32Array | Float64Array)[] {
    return this.variables.map((v) => (v instanceof IterationsVariable ? v.value : v.readLocal()));
  }

  /** Keras set_weights: zips `variables` with `weights` (extras ignored), checking sizes. */
  setWeights(weights: readonly (number | ArrayLike<number>)[]): void {
    if (!this.built) {
      throw new ValueError(
        'You are calling `set_weights()` on an optimizer that has not yet been built. Please call `optimizer.build(trainable_variables)` to create the optimizer weights before calling `optimizer.set_weights()`.',
      );
    }
    this.variables.forEach((v, i) => {
      const w = weights[i];
      if (w === undefined) return;
      const size = typeof w === 'number' ? 0 : w.length;
      const expected = v instanceof IterationsVariable ? 0 : v.localSize;
      if ((typeof w === 'number') !== v instanceof IterationsVariable || size !== expected) {
        const shape = v instanceof IterationsVariable ? '()' : `(${v.localShape.join(', ')})`;
        throw new ValueError(
          `Optimizer variable ${v.name} has shape ${shape} not compatible with provided weight shape ${typeof w === 'number' ? '()' : `(${size},)`}.`,
        );
      }
      if (v instanceof IterationsVariable) v.value = w as number;
      else v.assignLocal(w as ArrayLike<number>);
    });
  }

  // ---- apply_gradients (spec §5) ----
  /**
   * Applies one step. Returns the new iterations count. Async because, on a sharded mesh, clipping
   * norms are all-reduced across devices; every device calls this with its own shards (SPMD).
   */
  async applyGradients(gradsAndVars: Iterable<GradAndVar>, options: { name?: string } = {}): Promise<number> {
    if (this.schedule) this.lrValue = this.schedule.call(this.callCount);
    const pairs = unzipPairs(gradsAndVars);
    if (pairs.length === 0) return this.iterations;
    this.nameScope = options.name ?? this.name;
    this.build(pairs.map(([, v]) => v));
    const present = this.dropMissingGradients(pairs);
    const entries = present.map(([g, v]) => ({ variable: this.knownVariable(v), input: g }));
    const inputs = new Set(entries.map((e) => e.input).filter((g): g is tf.Tensor => g instanceof tf.Tensor));
    let grads: Grad[] = entries.map((e) => toLocalGradient(e.input, e.variable));
    const vars = entries.map((e) => e.variable);
    try {
      if (this.lossScaleFactor !== null) grads = this.unscale(grads, vars, inputs);
      const n = this.gradientAccumulationSteps;
      if (n && (this.callCount + 1) % n !== 0) {
        grads.forEach((g, i) => accumulate(this.accumulatorOf(vars[i]!), g));
      } else {
        if (n)
          grads = this.replace(
            grads,
            vars.map((v, i) => takeMean(this.accumulatorOf(v), grads[i]!, n)),
            inputs,
          );
        // Clipping makes new gradients: replace() frees the uploads they supersede (the caller's tensors stay).
        grads = this.replace(grads, await clipGradients(grads, vars, this, this.collectives), inputs);
        grads = grads.map((g) => (g.kind === 'sparse' ? { kind: 'sparse', sparse: deduplicateSparse(g.sparse) } : g));
        vars.forEach((variable) => this.applyWeightDecay(variable));
        vars.forEach((variable, i) => this.updateStepLocal(grads[i]!, variable));
      }
      if (this.useEma) this.updateAverages(vars); // on every call, as Keras 3 does with accumulation
    } finally {
      grads.forEach((g) => disposeGrad(g, inputs));
    }
    this.iterationsVar.value += 1;
    return this.iterations;
  }

  /** compute_gradients then apply_gradients (spec §10); the loss goes through scaleLoss first. */
  async minimize(loss: () => tf.Scalar, varList: readonly ModelVariable[] | (() => readonly ModelVariable[])): Promise<void> {
    await this.applyGradients(this.computeGradients(() => this.scaleLoss(loss()), varList));
  }

  /** Keras 3 scale_loss: loss · loss_scale_factor (unchanged without one). A trainer calls it on the loss it differentiates. */
  scaleLoss<T extends number | tf.Tensor>(loss: T): T {
    if (this.lossScaleFactor === null) return loss;
    if (typeof loss === 'number') return (loss * this.lossScaleFactor) as T;
    return tf.mul(loss, tf.scalar(this.lossScaleFactor)) as T;
  }

  /** g / loss_scale_factor, in each gradient's dtype (before accumulation and clipping, as Keras 3). */
  private unscale(grads: Grad[], vars: ShardedVariable[], inputs: Set<tf.Tensor>): Grad[] {
    const s = this.lossScaleFactor!;
    return this.replace(
      grads,
      grads.map((g, i) => transformGrad(g, { kind: 'scale', mul: 1, div: vars[i]!.dtype === 'float32' ? Math.fround(s) : s })),
      inputs,
    );
  }

  /** Swaps in new gradients, disposing replaced tensors the caller did not pass in. */
  private replace(old: Grad[], next: Grad[], inputs: Set<tf.Tensor>): Grad[] {
    old.forEach((g, i) => g !== next[i] && disposeGrad(g, inputs));
    return next;
  }

  private accumulatorOf(v: ShardedVariable): ShardedVariable {
    return this.accumulators[this.indexOf.get(v.uniqueId)!]!;
  }

  /** Gradients of `loss` (a function) with respect to each variable, null where it does not depend on it. */
  computeGradients(
    loss: unknown,
    varList: readonly ModelVariable[] | (() => readonly ModelVariable[]),
    tape?: unknown,
  ): [tf.Tensor | null, ModelVariable][] {
    if (typeof loss !== 'function') {
      throw new ValueError(
        `\`tape\` is required when a \`Tensor\` loss is passed. Received: loss=${describe(loss)}, tape=${pyRepr(tape)}.`,
      );
    }
    return computeGradientsOf(loss as () => tf.Scalar, varList, (v) => this.asSharded(v));
  }

  /** Copies the moving averages into the variables when EMA is on (Keras finalize_variable_values). */
  finalizeVariableValues(varList: readonly ModelVariable[]): void {
    if (!this.useEma) return;
    for (const v of varList) {
      const s = this.knownVariable(v);
      copyInto(s, this.averages[this.indexOf.get(s.uniqueId)!]!);
    }
  }

  /** One variable's update with an already clipped and de-duplicated gradient (no iterations change). */
  updateStep(gradient: Exclude<GradientInput, null | undefined>, variable: ModelVariable): void {
    const v = this.knownVariable(variable);
    const g = toLocalGradient(gradient, v);
    this.updateStepLocal(g.kind === 'sparse' ? { kind: 'sparse', sparse: deduplicateSparse(g.sparse) } : g, v);
  }
  protected abstract updateStepLocal(g: Grad, v: ShardedVariable): void;

  private dropMissingGradients(pairs: GradAndVar[]): [Exclude<GradientInput, null | undefined>, ModelVariable][] {
    const present = pairs.filter(([g]) => g != null) as [Exclude<GradientInput, null | undefined>, ModelVariable][];
    const missing = pairs.filter(([g]) => g == null).map(([, v]) => this.asSharded(v).name);
    if (present.length === 0) {
      const list = `[${missing.map((n) => `'${n}'`).join(', ')}]`;
      throw new ValueError(
        `No gradients provided for any variable: (${list},). Provided \`grads_and_vars\` is (${missing.map((n) => `(None, <Variable '${n}'>)`).join(', ')}).`,
      );
    }
    if (missing.length > 0) {
      warn(
        `Gradients do not exist for variables [${missing.map((n) => `'${n}'`).join(', ')}] when minimizing the loss. If you're using \`model.compile()\`, did you forget to provide a \`loss\` argument?`,
      );
    }
    return present;
  }

  protected knownVariable(v: ModelVariable): ShardedVariable {
    const s = this.asSharded(v);
    if (!this.indexOf.has(s.uniqueId)) {
      throw new KeyError(
        `The optimizer cannot recognize variable ${s.name}. This usually means you are trying to call the optimizer to update different parts of the model separately. Please call \`optimizer.build(variables)\` with the full list of trainable variables before the training loop or use legacy optimizer \`tf.keras.optimizers.legacy.${this.constructor.name}.`,
      );
    }
    return s;
  }

  private applyWeightDecay(v: ShardedVariable): void {
    if (this.weightDecay != null) decayWeights(v, this.weightDecay, this.lrValue);
  }

  /** EMA after the updates, before iterations moves (spec §9); overwrites on steps freq, 2·freq, … */
  private updateAverages(vars: ShardedVariable[]): void {
    const overwrite = this.emaOverwriteFrequency && (this.iterations + 1) % this.emaOverwriteFrequency === 0;
    // Keras 3 uses momentum 0 while `iterations` is 0; tf.keras 2.x starts from a copy at build.
    const momentum = this.emaFirstStep === 'keras3' && this.iterations === 0 ? 0 : this.emaMomentum;
    for (const v of vars) {
      const avg = this.averages[this.indexOf.get(v.uniqueId)!]!;
      updateAverage(avg, v, momentum, this.emaFirstStep === 'keras3');
      if (overwrite) copyInto(v, avg);
    }
  }
}
