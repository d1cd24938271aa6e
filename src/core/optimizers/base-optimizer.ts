import * as tf from '@tensorflow/tfjs-core';
import { KeyError, RuntimeError, ValueError } from '../errors';
import { Layout } from '../dtensor/layout';
import { Mesh } from '../dtensor/mesh';
import type { Collectives } from '../collectives/types';
import { defaultContext, type ComputeContext } from '../context';
import { ShardedVariable } from '../variables/sharded-variable';
import { LearningRateSchedule } from './schedules';
import { deduplicateSparse } from './indexed-slices';
import { toLocalGradient, type Grad, type GradientInput } from './gradients';
import { clipStep } from './clip-pipeline';
import { activeClipRule } from './clipping';
import { computeGradientsOf } from './compute-gradients';
import { copyInto, emaStep } from './ema';
import { accumulateStep } from './gradient-accumulation';
import { decayStep } from './weight-decay';
import { dedupeStep, unscaleStep } from './apply-steps';
import { initSteps, runSteps, type ApplyStep, type GradientStep, type InitializedStep } from './apply-pipeline';
import { describe, dropMissingGradients, unzipPairs } from './grads-and-vars';
import {
  IterationsVariable,
  assignWeights,
  replicatedVariable,
  variableLike,
  type OptimizerVariable,
  type ReplicatedVariableOptions,
} from './optimizer-variables';

export { describe } from './grads-and-vars';
export { IterationsVariable, type OptimizerVariable } from './optimizer-variables';
import { validateBaseArgs, pyRepr, type BaseOptimizerArgs } from './optimizer-config';

export type ModelVariable = tf.Variable | ShardedVariable;
export type GradAndVar = readonly [GradientInput, ModelVariable];

export interface MeshArgs {
  /** The mesh the optimizer's replicated state lives on (default: one local device). */
  mesh?: Mesh;
  /** How this device reaches the others for cross-shard norms (default: none, a single device). */
  collectives?: Collectives;
  /** Whose heap and copy meter the optimizer uses (default: the library's default context). */
  context?: ComputeContext;
}

/**
 * Keras's base optimizer (docs/optimizer-contract.md) over sharded variables: iterations, learning
 * rate and schedules, and apply_gradients as a chain of steps (apply-pipeline.ts): unscale → accumulate
 * → clip → dedupe → decay → update → ema. Subclasses give the update step and its slots.
 */
export abstract class BaseOptimizer {
  readonly name: string;
  readonly mesh: Mesh;
  readonly collectives?: Collectives;
  readonly context: ComputeContext;
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
  protected trackedVariables: ShardedVariable[] = [];
  protected readonly indexOf = new Map<number, number>();
  /** The apply steps with their state, made by build(). */
  private steps: InitializedStep[] = [];
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
    this.context = args.context ?? defaultContext;
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

  // ---- iterations and learning rate (contract: "Learning rate, lr and iterations") ----
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

  // ---- variables (contract: "State variables") ----
  /**
   * Keras order: iteration, then per model variable its EMA average and gradient accumulator (each
   * when enabled), then the subclass's slots.
   */
  get variables(): OptimizerVariable[] {
    const averages = this.stepState<ShardedVariable[]>('ema') ?? [];
    const accumulators = this.stepState<ShardedVariable[]>('accumulate') ?? [];
    const perVariable = this.trackedVariables.flatMap((_, i) =>
      [averages[i], accumulators[i]].filter((v): v is ShardedVariable => v !== undefined),
    );
    return [this.iterationsVar, ...perVariable, ...this.slotVariables()];
  }
  protected abstract slotVariables(): ShardedVariable[];

  /** The apply steps' names, in the order apply_gradients runs them (empty before build). */
  get applyStepNames(): string[] {
    return this.steps.map(({ step }) => step.name);
  }

  /**
   * The chain, in Keras's order. Settings fixed at construction decide whether a step is there at all;
   * clipping and weight decay are always there (their settings are attributes a user may change later).
   */
  protected applySteps(): ApplyStep[] {
    const n = this.gradientAccumulationSteps;
    return [
      ...(this.lossScaleFactor !== null ? [unscaleStep(this.lossScaleFactor)] : []),
      ...(n ? [accumulateStep(n)] : []),
      clipStep(this, this.collectives),
      dedupeStep(),
      decayStep(this),
      this.updateRule(),
      ...(this.useEma
        ? [emaStep({ momentum: this.emaMomentum, overwriteFrequency: this.emaOverwriteFrequency, firstStep: this.emaFirstStep })]
        : []),
    ];
  }
  /**
   * True when no step before the de-duplication changes sparse values (no loss-scale undoing,
   * accumulation or clipping now): repeated rows may then be summed before applyGradients
   * (StepExchange.scale) with the same bits. Clipping by value or norm of the rows as they come, or
   * undoing a loss scale per row, would round differently after summing.
   */
  sparseRowsSummable(): boolean {
    return this.lossScaleFactor === null && this.gradientAccumulationSteps === null && activeClipRule(this) === null;
  }

  /** The subclass's update (Keras's update_step) as the chain's `update` step, with its slots as state. */
  protected abstract updateRule(): GradientStep<unknown>;

  /** The state of the step called `name`, if the chain has one (after build). */
  protected stepState<S>(name: string): S | undefined {
    return this.steps.find(({ step }) => step.name === name)?.state as S | undefined;
  }

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

  /** Creates the optimizer state for `varList` once (each step's init); later calls do nothing (Keras's one-shot build). */
  build(varList: readonly ModelVariable[]): void {
    if (this.built) return;
    this.trackedVariables = varList.map((v) => this.asSharded(v));
    this.trackedVariables.forEach((v, i) => this.indexOf.set(v.uniqueId, i));
    this.steps = initSteps(this.applySteps(), this.trackedVariables, (like, name, initial) =>
      this.addVariableFromReference(like, name, initial),
    );
    this.built = true;
  }

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
    return variableLike(ref, `${this.nameScope}/${variableName}/${ref.name}`, initialValue, this.mesh, this.deviceId);
  }

  /** A replicated variable of the given shape (Keras add_variable). */
  addVariable(shape: readonly number[], options: ReplicatedVariableOptions = {}): ShardedVariable {
    return replicatedVariable(shape, options, this.mesh, this.deviceId, this.context.heap);
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
    assignWeights(this.variables, weights);
  }

  // ---- apply_gradients (contract: "The apply_gradients pipeline") ----
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
    const present = dropMissingGradients(pairs, (v) => this.asSharded(v).name);
    const vars = present.map(([, v]) => this.knownVariable(v));
    const callerTensors = new Set(present.map(([g]) => g).filter((g): g is tf.Tensor => g instanceof tf.Tensor));
    const grads = present.map(([g], i) => toLocalGradient(g, vars[i]!));
    const call = {
      vars,
      tracked: vars.map((v) => this.indexOf.get(v.uniqueId)!),
      learningRate: this.lrValue,
      iterations: this.iterations,
      callCount: this.callCount,
    };
    await runSteps(this.steps, grads, call, callerTensors);
    this.iterationsVar.value += 1;
    return this.iterations;
  }

  /** compute_gradients then apply_gradients (contract: "compute_gradients and minimize"), the loss through scaleLoss. */
  async minimize(loss: () => tf.Scalar, varList: readonly ModelVariable[] | (() => readonly ModelVariable[])): Promise<void> {
    await this.applyGradients(this.computeGradients(() => this.scaleLoss(loss()), varList));
  }

  /** Keras 3 scale_loss: loss · loss_scale_factor (unchanged without one). A trainer calls it on the loss it differentiates. */
  scaleLoss<T extends number | tf.Tensor>(loss: T): T {
    if (this.lossScaleFactor === null) return loss;
    if (typeof loss === 'number') return (loss * this.lossScaleFactor) as T;
    return tf.mul(loss, tf.scalar(this.lossScaleFactor)) as T;
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
    const averages = this.stepState<ShardedVariable[]>('ema')!;
    for (const v of varList) {
      const s = this.knownVariable(v);
      copyInto(s, averages[this.indexOf.get(s.uniqueId)!]!);
    }
  }

  /** One variable's update with an already clipped and de-duplicated gradient (no iterations change). */
  updateStep(gradient: Exclude<GradientInput, null | undefined>, variable: ModelVariable): void {
    const v = this.knownVariable(variable);
    const g = toLocalGradient(gradient, v);
    this.updateStepLocal(g.kind === 'sparse' ? { kind: 'sparse', sparse: deduplicateSparse(g.sparse) } : g, v);
  }
  protected abstract updateStepLocal(g: Grad, v: ShardedVariable): void;

  protected knownVariable(v: ModelVariable): ShardedVariable {
    const s = this.asSharded(v);
    if (!this.indexOf.has(s.uniqueId)) {
      throw new KeyError(
        `The optimizer cannot recognize variable ${s.name}. This usually means you are trying to call the optimizer to update different parts of the model separately. Please call \`optimizer.build(variables)\` with the full list of trainable variables before the training loop or use legacy optimizer \`tf.keras.optimizers.legacy.${this.constructor.name}.`,
      );
    }
    return s;
  }
}
