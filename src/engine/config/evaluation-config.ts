/** Checks `evalEvery` and `earlyStopping` and resolves the early-stopping rule a run follows. */
import type { Model } from '../../core/models/index';
import { resolveMode, type EarlyStoppingRule } from '../../core/evaluation/early-stopping';
import type { RunConfig } from '../../shared/api';

const EARLY_STOPPING_KEYS = new Set(['monitor', 'mode', 'patience', 'minDelta', 'restoreBest']);

/** The figures an evaluation produces or a training point carries, by Keras name. */
export function monitorNames(model: Model, hasValidation: boolean): string[] {
  const train = ['loss', ...model.metrics];
  return hasValidation ? [...train, ...train.map((m) => `val_${m}`)] : train;
}

export function checkEvaluation(
  config: RunConfig,
  model: Model | undefined,
  hasValidation: boolean | undefined,
  add: (path: string, message: string) => void,
): void {
  if (config.evalEvery !== undefined && !(Number.isSafeInteger(config.evalEvery) && config.evalEvery >= 1)) {
    add('evalEvery', `evalEvery must be an integer ≥ 1 (got ${JSON.stringify(config.evalEvery)})`);
  }
  const es = config.earlyStopping;
  if (es === undefined) return;
  if (typeof es !== 'object' || es === null || Array.isArray(es)) return add('earlyStopping', 'earlyStopping must be an object');
  for (const key of Object.keys(es))
    if (!EARLY_STOPPING_KEYS.has(key))
      add(`earlyStopping.${key}`, `unknown key '${key}' (known: ${[...EARLY_STOPPING_KEYS].join(', ')})`);
  const monitor = es.monitor ?? 'val_loss';
  if (model && hasValidation !== undefined) {
    const names = monitorNames(model, hasValidation);
    if (!names.includes(monitor)) {
      const hint = monitor.startsWith('val_') && !hasValidation ? ' (val_* figures need data.validation)' : '';
      add('earlyStopping.monitor', `cannot monitor '${monitor}'${hint}; this run has: ${names.join(', ')}`);
    }
  }
  if (es.mode !== undefined && !['min', 'max', 'auto'].includes(es.mode))
    add('earlyStopping.mode', `mode must be 'min', 'max' or 'auto' (got ${JSON.stringify(es.mode)})`);
  if (es.patience !== undefined && !(Number.isSafeInteger(es.patience) && es.patience >= 0))
    add('earlyStopping.patience', `patience must be an integer ≥ 0 (got ${JSON.stringify(es.patience)})`);
  if (es.minDelta !== undefined && !(typeof es.minDelta === 'number' && Number.isFinite(es.minDelta)))
    add('earlyStopping.minDelta', `minDelta must be a number (got ${JSON.stringify(es.minDelta)})`);
  if (es.restoreBest !== undefined && typeof es.restoreBest !== 'boolean')
    add('earlyStopping.restoreBest', 'restoreBest must be true or false');
}

export function earlyStoppingRule(config: RunConfig): (EarlyStoppingRule & { restoreBest: boolean }) | null {
  const es = config.earlyStopping;
  if (!es) return null;
  const monitor = es.monitor ?? 'val_loss';
  return {
    monitor,
    mode: resolveMode(monitor, es.mode),
    patience: es.patience ?? 0,
    minDelta: es.minDelta ?? 0,
    restoreBest: es.restoreBest ?? false,
  };
}

/**
 * Whether an evaluation runs after `step` steps: every `evalEvery` steps if given, else at every
 * periodic checkpoint; always at the last step. Pauses do not evaluate (early stopping must not
 * depend on when a person paused).
 */
export function isEvalStep(config: RunConfig, step: number): boolean {
  if (step <= 0) return false;
  if (step === config.steps) return true;
  const every = config.evalEvery ?? config.checkpointEvery ?? 0;
  return every > 0 && step % every === 0;
}

/** The next step > `step` at which an evaluation runs. */
export function nextEvalStep(config: RunConfig, step: number): number {
  const every = config.evalEvery ?? config.checkpointEvery ?? 0;
  return every > 0 ? Math.min((Math.floor(step / every) + 1) * every, config.steps) : config.steps;
}
