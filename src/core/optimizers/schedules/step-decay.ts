import { div, f32 } from './float32';
import { LearningRateSchedule, readConfig } from './learning-rate-schedule';
import { boolean, checkStep, orDefault, finiteNumber, optionalName, positiveNumber } from './validate';

/** Options shared by ExponentialDecay and InverseTimeDecay (Keras gives both the same arguments). */
export interface StepDecayOptions {
  initialLearningRate: number;
  /** Must be > 0. */
  decaySteps: number;
  decayRate: number;
  /** Decay at whole multiples of decaySteps only. Default false. */
  staircase?: boolean;
  name?: string | null;
}

export type StepDecayConfig = {
  initial_learning_rate: number;
  decay_steps: number;
  decay_rate: number;
  staircase: boolean;
  name: string | null;
};

const KEYS = ['initial_learning_rate', 'decay_steps', 'decay_rate', 'staircase', 'name'] as const;

/**
 * A schedule of p = step / decay_steps (floored when `staircase`), computed in float32; subclasses
 * give lr as a function of p. Validation, config and from_config are shared.
 */
export abstract class StepDecaySchedule extends LearningRateSchedule {
  readonly initialLearningRate: number;
  readonly decaySteps: number;
  readonly decayRate: number;
  readonly staircase: boolean;
  readonly name: string | null;

  constructor(options: StepDecayOptions) {
    super();
    const owner = this.className;
    this.initialLearningRate = finiteNumber(owner, 'initial_learning_rate', options.initialLearningRate);
    this.decaySteps = positiveNumber(owner, 'decay_steps', options.decaySteps);
    this.decayRate = finiteNumber(owner, 'decay_rate', options.decayRate);
    this.staircase = boolean(owner, 'staircase', orDefault(options.staircase, false));
    this.name = optionalName(owner, options.name);
  }

  /** The learning rate at progress p, in float32 ops. */
  protected abstract rateAt(p: number): number;

  call(step: number): number {
    checkStep(this.className, step);
    let p = div(f32(step), f32(this.decaySteps));
    if (this.staircase) p = Math.floor(p);
    return this.rateAt(p);
  }

  getConfig(): StepDecayConfig {
    return {
      initial_learning_rate: this.initialLearningRate,
      decay_steps: this.decaySteps,
      decay_rate: this.decayRate,
      staircase: this.staircase,
      name: this.name,
    };
  }

  /** `new this`: like a Python classmethod, a subclass rebuilds as itself. */
  static fromConfig<T extends StepDecaySchedule>(
    this: (new (o: StepDecayOptions) => T) & { className: string },
    config: Record<string, unknown>,
  ): T {
    const c = readConfig(this.className, config, KEYS, ['initial_learning_rate', 'decay_steps', 'decay_rate']);
    return new this({
      initialLearningRate: c.initial_learning_rate as number,
      decaySteps: c.decay_steps as number,
      decayRate: c.decay_rate as number,
      staircase: c.staircase as boolean | undefined,
      name: c.name as string | null | undefined,
    });
  }
}
