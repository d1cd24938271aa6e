import { ValueError, warn } from '../errors';
import { LearningRateSchedule, deserialize, serialize } from './schedules';

/** The base optimizer's constructor arguments (camelCase for TypeScript; get_config() keeps Keras's snake_case). */
export interface BaseOptimizerArgs {
  learningRate?: number | LearningRateSchedule;
  weightDecay?: number | null;
  clipnorm?: number | null;
  clipvalue?: number | null;
  globalClipnorm?: number | null;
  useEma?: boolean;
  emaMomentum?: number;
  emaOverwriteFrequency?: number | null;
  jitCompile?: boolean;
  name?: string;
  /** Keras 3: the loss is multiplied by this (scaleLoss) and the gradients divided by it. */
  lossScaleFactor?: number | null;
  /** Keras 3: apply the mean gradient every N-th call (N ≥ 2); null or 0: every call. */
  gradientAccumulationSteps?: number | null;
  /**
   * Not a Keras config key. 'keras2' (default, tf.keras 2.x): the averages start as copies of the
   * variables and every step uses ema_momentum. 'keras3': the step where `iterations` is 0 uses
   * momentum 0, so the first average equals the variable (what a run continued from a Keras 3 archive needs).
   */
  emaFirstStep?: 'keras2' | 'keras3';
}

/** Keras snake_case config key → our camelCase argument. */
export const CONFIG_KEYS: Record<string, string> = {
  name: 'name',
  weight_decay: 'weightDecay',
  clipnorm: 'clipnorm',
  global_clipnorm: 'globalClipnorm',
  clipvalue: 'clipvalue',
  use_ema: 'useEma',
  ema_momentum: 'emaMomentum',
  ema_overwrite_frequency: 'emaOverwriteFrequency',
  jit_compile: 'jitCompile',
  learning_rate: 'learningRate',
  loss_scale_factor: 'lossScaleFactor',
  gradient_accumulation_steps: 'gradientAccumulationSteps',
};

const DEPRECATED_KWARGS = new Set(['decay', 'gradient_aggregator', 'gradient_transformers']);

/** Keras's base validation, in Keras's order (docs/optimizer-contract.md, "Constructor validation"). */
export function validateBaseArgs(a: BaseOptimizerArgs): void {
  const n = a.gradientAccumulationSteps;
  // Keras 3 checks truthiness first (0 and None mean no accumulation); we also refuse non-integers.
  if (n && !(typeof n === 'number' && Number.isInteger(n) && n >= 2)) {
    throw new ValueError(
      `\`gradient_accumulation_steps\` must be an integer >= 2. Received: gradient_accumulation_steps=${pyRepr(n)}`,
    );
  }
  if (a.emaFirstStep !== undefined && a.emaFirstStep !== 'keras2' && a.emaFirstStep !== 'keras3') {
    throw new ValueError(`\`emaFirstStep\` must be 'keras2' or 'keras3'. Received: ${pyRepr(a.emaFirstStep)}`);
  }
  if (a.useEma) {
    const m = a.emaMomentum ?? 0.99;
    if (!(m >= 0 && m <= 1)) {
      throw new ValueError(`\`ema_momentum\` must be in the range [0, 1]. Received: ema_momentum=${pyRepr(m)}`);
    }
    const f = a.emaOverwriteFrequency;
    if (f && (!Number.isInteger(f) || f < 1)) {
      throw new ValueError(
        `\`ema_overwrite_frequency\` must be an integer > 1 or None. Received: ema_overwrite_frequency=${pyRepr(f)}`,
      );
    }
  }
  if (a.clipnorm != null && a.globalClipnorm != null) {
    throw new ValueError(
      `At most one of \`clipnorm\` and \`global_clipnorm\` can be set. Received: clipnorm=${pyRepr(a.clipnorm)}, global_clipnorm=${pyRepr(a.globalClipnorm)}.`,
    );
  }
  for (const key of ['weightDecay', 'clipnorm', 'clipvalue', 'globalClipnorm', 'emaMomentum', 'lossScaleFactor'] as const) {
    const v = a[key];
    if (v != null && typeof v !== 'number')
      throw new TypeError(`\`${snake(key)}\` must be a number or None. Received: ${pyRepr(v)}`);
  }
  if (a.lossScaleFactor != null && !(Number.isFinite(a.lossScaleFactor) && a.lossScaleFactor !== 0)) {
    throw new ValueError(
      `\`loss_scale_factor\` must be a finite, non-zero number or None. Received: loss_scale_factor=${pyRepr(a.lossScaleFactor)}`,
    );
  }
}

/**
 * Keras's handling of leftover keyword arguments (contract: "Constructor validation"), applied to config
 * keys that are not constructor arguments. `extraKeys` are the subclass's own (e.g. rho, epsilon).
 */
export function checkLeftoverKwargs(config: Record<string, unknown>, extraKeys: readonly string[], className: string): void {
  for (const key of Object.keys(config)) {
    if (key in CONFIG_KEYS || extraKeys.includes(key)) continue;
    if (key === 'is_legacy_optimizer' || key === 'gradients_clip_option' || key === 'ema_option') continue;
    if (key === 'lr') {
      warn(
        '`lr` is deprecated in Keras optimizer, please use `learning_rate` or use the legacy optimizer, e.g.,tf.keras.optimizers.legacy.' +
          className +
          '.',
      );
      continue;
    }
    if (DEPRECATED_KWARGS.has(key)) {
      throw new ValueError(
        `${key} is deprecated in the new Keras optimizer, please check the docstring for valid arguments, or use the legacy optimizer, e.g., tf.keras.optimizers.legacy.${className}.`,
      );
    }
    throw new TypeError(`${key} is not a valid argument, kwargs should be empty  for \`optimizer_experimental.Optimizer\`.`);
  }
}

/** Keras config (snake_case) → constructor arguments; schedules in either dict form are deserialised. */
export function argsFromConfig(
  config: Record<string, unknown>,
  extra: Record<string, string>,
  className: string,
): Record<string, unknown> {
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    throw new TypeError(`An optimizer config must be an object of Keras config keys. Received: ${pyRepr(config)}`);
  }
  checkLeftoverKwargs(config, Object.keys(extra), className);
  const args: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    const camel = CONFIG_KEYS[key] ?? extra[key];
    if (!camel) continue;
    args[camel] = key === 'learning_rate' && value !== null && typeof value === 'object' ? deserialize(value as never) : value;
  }
  return args;
}

export type ScheduleFormat = 'keras2.13' | 'legacy';

/** _serialize_hyperparameter: a schedule → its dict, a number → its float32 value (as the variable holds it). */
export function serializeLearningRate(lr: number | LearningRateSchedule, format: ScheduleFormat): unknown {
  if (lr instanceof LearningRateSchedule) return serialize(lr, { format });
  return Math.fround(lr);
}

function snake(camel: string): string {
  return camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** Formats a value the way Python would print it in Keras's messages (None, True, 1.0). */
export function pyRepr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'number' && Number.isInteger(v)) return String(v);
  if (typeof v === 'string') return `'${v}'`;
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}
