/**
 * Parallel-coordinates axes for a sweep: one per hyperparameter, then the objective. Numbers get a
 * linear axis, or a log axis when they are all positive and span more than two decades (learning
 * rates); anything else (strings, booleans, lists) is categorical, values spaced evenly in first-seen
 * order. `position` maps a value to 0 (bottom) … 1 (top); null when the trial has no value there.
 */

export interface Axis {
  key: string;
  kind: 'linear' | 'log' | 'category';
  /** Tick labels with their positions. */
  ticks: { at: number; label: string }[];
  position(value: unknown): number | null;
}

const fmt = (v: number): string =>
  Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(1) : String(+v.toPrecision(3));

export function makeAxis(key: string, values: unknown[]): Axis {
  const present = values.filter((v) => v !== undefined && v !== null);
  const numbers = present.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  if (numbers.length === present.length && numbers.length > 0) {
    const min = Math.min(...numbers);
    const max = Math.max(...numbers);
    const log = min > 0 && max / min > 100;
    const f = log ? Math.log10 : (v: number) => v;
    const lo = f(min);
    const span = f(max) - lo;
    const position = (v: unknown): number | null =>
      typeof v === 'number' && Number.isFinite(v) && (!log || v > 0) ? (span === 0 ? 0.5 : (f(v) - lo) / span) : null;
    const tickValues = span === 0 ? [min] : log ? decades(min, max) : [min, (min + max) / 2, max];
    return { key, kind: log ? 'log' : 'linear', position, ticks: tickValues.map((v) => ({ at: position(v)!, label: fmt(v) })) };
  }
  const labels: string[] = [];
  for (const v of present) if (!labels.includes(label(v))) labels.push(label(v));
  const position = (v: unknown): number | null => {
    if (v === undefined || v === null) return null;
    const i = labels.indexOf(label(v));
    return i < 0 ? null : labels.length === 1 ? 0.5 : i / (labels.length - 1);
  };
  return {
    key,
    kind: 'category',
    position,
    ticks: labels.map((l, i) => ({ at: labels.length === 1 ? 0.5 : i / (labels.length - 1), label: l })),
  };
}

function label(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** Powers of ten within [min, max], plus the ends. */
function decades(min: number, max: number): number[] {
  const out = [min];
  for (let e = Math.ceil(Math.log10(min)); 10 ** e < max; e++) if (10 ** e > min) out.push(10 ** e);
  out.push(max);
  return out;
}
