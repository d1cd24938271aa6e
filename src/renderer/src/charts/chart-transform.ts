/**
 * Turns a chart's raw columns into what uPlot draws under the current settings: x as step, as seconds
 * since the first point or as wall-clock seconds, each series smoothed (raw kept beside it, drawn
 * faint), and values a log axis cannot show (≤ 0) as gaps. Gaps go to uPlot as null, its gap value: a
 * NaN would poison its per-window min/max (zoom would not rescale y), be drawn at the axis on a log
 * scale (a spike at every gap of a validation curve) and put a cursor dot outside the plot. Buffers
 * are reused between frames.
 */
import type uPlot from 'uplot';
import type { ChartSettings } from './chart-settings';
import { smoothEma } from './smoothing';

export interface Transformed {
  data: uPlot.AlignedData;
  /** The y columns before the NaN → null step (for reading values back without uPlot). */
  numeric: Float64Array[];
  /** Finite (and, on a log axis, positive) min/max over every drawn series; null if none. */
  range: [number, number] | null;
}

/** Reusable Float64Arrays (and null-gapped arrays for uPlot), one per slot, grown by doubling. */
export class Buffers {
  private readonly slots: Float64Array[] = [];
  private readonly lists: (number | null)[][] = [];
  get(slot: number, length: number): Float64Array {
    let b = this.slots[slot];
    if (!b || b.length < length) this.slots[slot] = b = new Float64Array(Math.max(length, 2 * (b?.length ?? 0), 256));
    return b.subarray(0, length);
  }

  /** `values` with every NaN as null, in the list of `slot` (reused). */
  gapped(slot: number, values: Float64Array): (number | null)[] {
    const out = (this.lists[slot] ??= []);
    out.length = values.length;
    for (let i = 0; i < values.length; i++) out[i] = Number.isNaN(values[i]!) ? null : values[i]!;
    return out;
  }
}

/** Whether a chart with these settings draws a faint raw copy beside each smoothed series. */
export const drawsRaw = (s: ChartSettings, smoothable: boolean): boolean => smoothable && s.smoothing > 0;

export function transformColumns(
  raw: uPlot.AlignedData,
  time: ArrayLike<number> | null,
  s: ChartSettings,
  smoothable: boolean,
  bufs: Buffers,
): Transformed {
  const n = raw[0].length;
  let slot = 0;
  let x: ArrayLike<number> = raw[0];
  if (s.x !== 'step' && time && time.length === n) {
    const secs = bufs.get(slot++, n);
    let t0 = 0;
    if (s.x === 'time') {
      t0 = Number.NaN;
      for (let i = 0; i < n && Number.isNaN(t0); i++) if (Number.isFinite(time[i])) t0 = time[i]!;
    }
    for (let i = 0; i < n; i++) secs[i] = (time[i]! - t0) / 1000;
    x = secs;
  }
  let min = Infinity;
  let max = -Infinity;
  const clean = (src: ArrayLike<number | null | undefined>): Float64Array => {
    const out = bufs.get(slot++, n);
    for (let i = 0; i < n; i++) {
      const v = src[i];
      const ok = typeof v === 'number' && Number.isFinite(v) && (!s.logY || v > 0);
      out[i] = ok ? v : Number.NaN;
      if (ok) {
        if (v < min) min = v;
        if (v > max) max = v;
      }
    }
    return out;
  };
  const ys: Float64Array[] = [];
  for (const col of raw.slice(1)) {
    const y = clean(col as ArrayLike<number | null>);
    if (drawsRaw(s, smoothable)) {
      ys.push(y);
      // Smoothing runs over what is drawn: on a log axis the non-positive points are already gaps.
      ys.push(smoothEma(y, s.smoothing, bufs.get(slot++, n)));
    } else ys.push(y);
  }
  const data = [x as number[], ...ys.map((y, i) => bufs.gapped(i, y))] as uPlot.AlignedData;
  return { data, numeric: ys, range: min <= max ? [min, max] : null };
}
