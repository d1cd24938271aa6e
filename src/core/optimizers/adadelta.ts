import type { ShardedVariable } from '../variables/sharded-variable';
import { BaseOptimizer, type MeshArgs } from './base-optimizer';
import type { Grad } from './gradients';
import { wasmSimdSupported } from '../wasm/heap';
import { adadeltaStep, updateVariable, type AdadeltaSlots } from './adadelta-step';
import { FusedAdadelta } from './kernels/adadelta-fused';
import type { GradientStep } from './apply-pipeline';
import { argsFromConfig, pyRepr, serializeLearningRate, type BaseOptimizerArgs, type ScheduleFormat } from './optimizer-config';
import { ValueError } from '../errors';
import { ADADELTA_DEFAULTS } from '../../shared/defaults';

export interface AdadeltaArgs extends BaseOptimizerArgs, MeshArgs {
  /** Decay rate of both moving averages (default 0.95). */
  rho?: number;
  /** Added inside both square roots (default 1e-7). */
  epsilon?: number;
}

const ARG_KEYS = new Set([
  'learningRate',
  'rho',
  'epsilon',
  'weightDecay',
  'clipnorm',
  'clipvalue',
  'globalClipnorm',
  'useEma',
  'emaMomentum',
  'emaOverwriteFrequency',
  'jitCompile',
  'name',
  'mesh',
  'collectives',
  'context',
  'lossScaleFactor',
  'gradientAccumulationSteps',
  'emaFirstStep',
]);

/** Which Keras a config is written for: Keras 3 (default) or tf.keras 2.11–2.15. */
export type ConfigFlavour = 'keras3' | 'keras2';

/**
 * Keras's Adadelta (tf.keras.dtensor.experimental.optimizers.Adadelta semantics; docs/optimizer-contract.md,
 * "The Adadelta update step") on a mesh.
 * Slots `accumulated_grad` (E[g²]) and `accumulated_delta_var` (E[Δx²]) share each variable's layout;
 * they are the state of the chain's update step (adadelta-step.ts), which picks the kernel by storage.
 */
export class Adadelta extends BaseOptimizer {
  readonly rho: number;
  readonly epsilon: number;
  /** The fused kernels' working memory, this optimizer's own (its copies counted on its context). */
  private readonly kernels: FusedAdadelta;

  constructor(args: AdadeltaArgs = {}) {
    for (const key of Object.keys(args)) {
      if (!ARG_KEYS.has(key))
        throw new TypeError(`${key} is not a valid argument, kwargs should be empty  for \`optimizer_experimental.Optimizer\`.`);
    }
    super(args, 'Adadelta');
    // null is refused here rather than failing later in arithmetic as Keras's epsilon=None does.
    // Keras accepts any rho/epsilon and trains on NaN from the first step (sqrt of a negative
    // accumulator); we refuse them up front, in the words Keras uses for ema_momentum's range.
    this.rho = checkNumber('rho', args.rho === undefined ? ADADELTA_DEFAULTS.rho : args.rho);
    this.epsilon = checkNumber('epsilon', args.epsilon === undefined ? ADADELTA_DEFAULTS.epsilon : args.epsilon);
    if (this.rho < 0 || this.rho > 1)
      throw new ValueError(`\`rho\` must be in the range [0, 1]. Received: rho=${pyRepr(this.rho)}`);
    if (this.epsilon < 0) throw new ValueError(`\`epsilon\` must be >= 0. Received: epsilon=${pyRepr(this.epsilon)}`);
    this.kernels = new FusedAdadelta(this.context.copies);
  }

  protected updateRule(): GradientStep<AdadeltaSlots> {
    return adadeltaStep({ rho: this.rho, epsilon: this.epsilon, simd: this.jitCompile, kernels: this.kernels });
  }

  private get slots(): AdadeltaSlots {
    return this.stepState<AdadeltaSlots>('update') ?? { accumulatedGrads: [], accumulatedDeltaVars: [] };
  }

  /** Interleaved per variable, as Keras appends them: grad_0, delta_0, grad_1, delta_1, … */
  protected slotVariables(): ShardedVariable[] {
    const { accumulatedGrads, accumulatedDeltaVars } = this.slots;
    return accumulatedGrads.flatMap((g, i) => [g, accumulatedDeltaVars[i]!]);
  }

  /** The `accumulated_grad` and `accumulated_delta_var` slots of a built variable. */
  slotsOf(variable: ShardedVariable): { accumulatedGrad: ShardedVariable; accumulatedDeltaVar: ShardedVariable } {
    const i = this.indexOf.get(this.knownVariable(variable).uniqueId)!;
    return { accumulatedGrad: this.slots.accumulatedGrads[i]!, accumulatedDeltaVar: this.slots.accumulatedDeltaVars[i]! };
  }

  protected updateStepLocal(g: Grad, v: ShardedVariable): void {
    const { accumulatedGrad, accumulatedDeltaVar } = this.slotsOf(v);
    const s = { lr: Math.fround(this.learningRate), rho: this.rho, epsilon: this.epsilon };
    updateVariable(v, g, accumulatedGrad, accumulatedDeltaVar, s, { simd: this.jitCompile, kernels: this.kernels });
  }

  /**
   * Keras's get_config. Default: what Keras 3's from_config loads (its keys and order). `keras2`: the
   * tf.keras 2.11–2.15 form (contract: "Serialization"; `jit_compile` the effective value;
   * `scheduleFormat` 'legacy' for 2.11/2.12), which cannot express the Keras 3-only settings.
   */
  getConfig(options: { flavour?: ConfigFlavour; scheduleFormat?: ScheduleFormat } = {}): Record<string, unknown> {
    const schedule = this.learningRateSchedule;
    if ((options.flavour ?? 'keras3') === 'keras3') {
      return {
        name: this.name,
        learning_rate: serializeLearningRate(schedule ?? this.learningRate, options.scheduleFormat ?? 'keras2.13'),
        weight_decay: this.weightDecay,
        clipnorm: this.clipnorm,
        global_clipnorm: this.globalClipnorm,
        clipvalue: this.clipvalue,
        use_ema: this.useEma,
        ema_momentum: this.emaMomentum,
        ema_overwrite_frequency: this.emaOverwriteFrequency,
        loss_scale_factor: this.lossScaleFactor,
        gradient_accumulation_steps: this.gradientAccumulationSteps,
        rho: this.rho,
        epsilon: this.epsilon,
      };
    }
    for (const [key, value] of [
      ['loss_scale_factor', this.lossScaleFactor],
      ['gradient_accumulation_steps', this.gradientAccumulationSteps],
    ] as const) {
      if (value !== null)
        throw new ValueError(`${key}=${value} has no tf.keras 2.x form: write this config in the Keras 3 flavour`);
    }
    return {
      name: this.name,
      weight_decay: this.weightDecay,
      clipnorm: this.clipnorm,
      global_clipnorm: this.globalClipnorm,
      clipvalue: this.clipvalue,
      use_ema: this.useEma,
      ema_momentum: this.emaMomentum,
      ema_overwrite_frequency: this.emaOverwriteFrequency,
      jit_compile: this.jitCompile && wasmSimdSupported(),
      is_legacy_optimizer: false,
      learning_rate: serializeLearningRate(schedule ?? this.learningRate, options.scheduleFormat ?? 'keras2.13'),
      rho: this.rho,
      epsilon: this.epsilon,
    };
  }

  /**
   * Builds an optimizer from a Keras config (any of the three forms); the mesh, and `emaFirstStep` (not a
   * Keras key: 'keras3' when continuing a Keras 3 archive), are given separately.
   */
  static fromConfig(
    config: Record<string, unknown>,
    meshArgs: MeshArgs & Pick<BaseOptimizerArgs, 'emaFirstStep'> = {},
  ): Adadelta {
    const args = argsFromConfig(config, { rho: 'rho', epsilon: 'epsilon' }, 'Adadelta');
    return new Adadelta({ ...(args as AdadeltaArgs), ...meshArgs });
  }
}

function checkNumber(key: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ValueError(`\`${key}\` must be a finite number. Received: ${key}=${value === null ? 'None' : String(value)}`);
  }
  return value;
}
