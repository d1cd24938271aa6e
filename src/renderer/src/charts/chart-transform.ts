/**
 * Turns a chart's raw columns into what uPlot draws under the current settings: x as step or as
 * seconds since the first point, each series smoothed (raw kept beside it, drawn faint), and values a
 * log axis cannot show (≤ 0) as gaps. Buffers are reused between frames.
 */
import type uPlot from 'uplot';
import type { ChartSettings } from './chart-settings';
import { smoothEma } from './smoothing';

export interface Transformed {
  data: uPlot.AlignedData;
  /** Finite (and, on a log axis, positive) min/max over every drawn series; null if none. */
  range: [number, number] | null;
}

/** Reusable Float64Arrays, one per slot, grown by doubling. */
export class Buffers {
  private readonly slots: Float64Array[] = [];
  get(slot: number, length: number): Float64Array {
    let b = this.slots[slot];
    if (!b || b.length < length) this.slots[slot] = b = new Float64Array(Math.max(length, 2 * (b?.length ?? 0), 256));
    return b.subarray(0, length);
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
  if (s.x === 'time' && time && time.length === n) {
    const rel = bufs.get(slot++, n);
    let t0 = Number.NaN;
    for (let i = 0; i < n && Number.isNaN(t0); i++) if (Number.isFinite(time[i])) t0 = time[i];
    for (let i = 0; i < n; i++) rel[i] = (time[i] - t0) / 1000;
    x = rel;
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
  const ys: ArrayLike<number>[] = [];
  for (const col of raw.slice(1)) {
    const y = clean(col as ArrayLike<number | null>);
    if (drawsRaw(s, smoothable)) {
      ys.push(y);
      // Smoothing runs over what is drawn: on a log axis the non-positive points are already gaps.
      ys.push(smoothEma(y, s.smoothing, bufs.get(slot++, n)));
    } else ys.push(y);
  }
  return { data: [x as number[], ...(ys as number[][])], range: min <= max ? [min, max] : null };
}
