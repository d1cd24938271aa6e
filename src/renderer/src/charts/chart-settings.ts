/**
 * How every training chart is drawn — smoothing, log y, x by step, relative or wall-clock time — shared by all
 * charts of the app (one toolbar drives them) and remembered across sessions.
 */

export interface ChartSettings {
  /** TensorBoard smoothing weight, 0 (off) to 0.99. */
  smoothing: number;
  logY: boolean;
  /** By step, by time since the first point, or by wall-clock time. */
  x: 'step' | 'time' | 'wall';
}

const KEY = 'dtrain.charts';
const DEFAULTS: ChartSettings = { smoothing: 0.6, logY: false, x: 'step' };

function load(): ChartSettings {
  try {
    const v = JSON.parse(localStorage.getItem(KEY) ?? '{}') as Partial<ChartSettings>;
    return {
      smoothing: typeof v.smoothing === 'number' && v.smoothing >= 0 && v.smoothing <= 0.99 ? v.smoothing : DEFAULTS.smoothing,
      logY: v.logY === true,
      x: v.x === 'time' || v.x === 'wall' ? v.x : 'step',
    };
  } catch {
    return { ...DEFAULTS };
  }
}

let current: ChartSettings | null = null;
const listeners = new Set<(s: ChartSettings) => void>();

export function chartSettings(): ChartSettings {
  return (current ??= load());
}

export function setChartSettings(patch: Partial<ChartSettings>): void {
  current = { ...chartSettings(), ...patch };
  try {
    localStorage.setItem(KEY, JSON.stringify(current));
  } catch {
    // Storage may be unavailable; the setting still applies to this page.
  }
  for (const l of listeners) l(current);
}

export function onChartSettings(listener: (s: ChartSettings) => void): () => void {
  listeners.add(listener);
  return () => void listeners.delete(listener);
}
