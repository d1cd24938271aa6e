/**
 * Keras 3's EarlyStopping rule as a pure state machine, counted in evaluations (Keras's epochs).
 * An evaluation improves when value − minDelta' beats the best so far, where minDelta' is −|minDelta|
 * for 'min' and +|minDelta| for 'max'; `wait` counts evaluations since the last improvement; the run
 * stops when wait ≥ patience, never at the first evaluation. `baseline` and `start_from_epoch` are left out.
 */
export type MonitorMode = 'min' | 'max';

export interface EarlyStoppingRule {
  monitor: string;
  mode: MonitorMode;
  patience: number;
  minDelta: number;
}

export interface EarlyStoppingState {
  /** Evaluations seen (Keras's epoch index of the next one). */
  evaluations: number;
  wait: number;
  best: number | null;
  /** 0-based index of the best evaluation. */
  bestIndex: number;
}

export const initialEarlyStopping = (): EarlyStoppingState => ({ evaluations: 0, wait: 0, best: null, bestIndex: 0 });

/** Keras's "auto": maximize accuracy-like metrics, minimize the rest (loss, mae, mse). */
export function resolveMode(monitor: string, mode: MonitorMode | 'auto' | undefined): MonitorMode {
  if (mode === 'min' || mode === 'max') return mode;
  return /acc/.test(monitor.replace(/^val_/, '')) ? 'max' : 'min';
}

/** Feeds one evaluation's monitored value; returns the new state, whether it improved and whether to stop. */
export function observe(
  state: EarlyStoppingState,
  value: number,
  rule: EarlyStoppingRule,
): { state: EarlyStoppingState; improved: boolean; stop: boolean } {
  const epoch = state.evaluations;
  const delta = rule.mode === 'min' ? -Math.abs(rule.minDelta) : Math.abs(rule.minDelta);
  const next = { ...state, evaluations: epoch + 1, wait: state.wait + 1 };
  const shifted = value - delta;
  const improved = state.best === null || (rule.mode === 'min' ? shifted < state.best : shifted > state.best);
  if (improved) return { state: { ...next, best: value, bestIndex: epoch, wait: 0 }, improved, stop: false };
  return { state: next, improved, stop: next.wait >= rule.patience && epoch > 0 };
}
