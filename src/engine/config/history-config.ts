/**
 * The run config keys that shape what a run records beside its metrics (`optimizerStatsEvery`) and
 * how fast a demo trains (`minStepMs`), and the optimizer's keys checked with a "did you mean" as the
 * run's own keys are, before Keras's constructor rules see them.
 */
import { CONFIG_KEYS } from '../../core/optimizers/optimizer-config';
import { unknownKeyMessage } from '../../core/text/did-you-mean';
import type { RunConfig } from '../../shared/api';

/** About this many optimizer-state records per run by default (a long run stays small). */
export const OPTIMIZER_STATS_POINTS = 200;
/** …and no more often than this: a measurement reads every element twice, so a short run of a big model stays fast. */
export const OPTIMIZER_STATS_MIN_EVERY = 10;

/** The run's `optimizerStatsEvery`, else ⌈steps / 200⌉ and at least 10; 0 means never. */
export function optimizerStatsEveryOf(config: RunConfig): number {
  if (config.optimizerStatsEvery !== undefined) return config.optimizerStatsEvery;
  const steps = Number.isSafeInteger(config.steps) ? config.steps : 0;
  return Math.max(OPTIMIZER_STATS_MIN_EVERY, Math.ceil(steps / OPTIMIZER_STATS_POINTS));
}

export function checkHistoryKeys(config: RunConfig, add: (path: string, message: string) => void): void {
  const every = config.optimizerStatsEvery;
  if (every !== undefined && !(Number.isSafeInteger(every) && every >= 0))
    add('optimizerStatsEvery', `optimizerStatsEvery must be an integer ≥ 0 (got ${JSON.stringify(every)})`);
  const pace = config.minStepMs;
  if (pace !== undefined && !(typeof pace === 'number' && Number.isFinite(pace) && pace >= 0 && pace <= 60_000))
    add('minStepMs', `minStepMs must be a number of milliseconds from 0 to 60000 (got ${JSON.stringify(pace)})`);
}

/** Adadelta's own keys and those Keras reads with a rule of its own (a warning, a deprecation error). */
const OPTIMIZER_KEYS = [...Object.keys(CONFIG_KEYS), 'rho', 'epsilon'];
const KERAS_HANDLED = [
  'is_legacy_optimizer',
  'gradients_clip_option',
  'ema_option',
  'lr',
  'decay',
  'gradient_aggregator',
  'gradient_transformers',
];

/** Unknown optimizer keys, each at its field with the nearest known key. True when there was none. */
export function checkOptimizerKeys(optimizer: unknown, add: (path: string, message: string) => void): boolean {
  if (typeof optimizer !== 'object' || optimizer === null || Array.isArray(optimizer)) return true;
  let clean = true;
  for (const key of Object.keys(optimizer)) {
    if (OPTIMIZER_KEYS.includes(key) || KERAS_HANDLED.includes(key)) continue;
    add(`optimizer.${key}`, unknownKeyMessage(key, OPTIMIZER_KEYS));
    clean = false;
  }
  return clean;
}
