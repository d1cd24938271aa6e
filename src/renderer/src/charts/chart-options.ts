/**
 * The uPlot options of a training chart: themed axes (steps, relative seconds or wall-clock time on
 * x), one faint raw and one smoothed series per curve when smoothing is on, the y range padded around
 * the visible data, a cursor whose x (only) follows the other charts of its view, and markers.
 */
import type uPlot from 'uplot';
import { formatNumber } from '../format';
import type { ChartSettings } from './chart-settings';
import { drawsRaw } from './chart-transform';

export interface SeriesSpec {
  label: string;
  /** Palette slot 0..7 (CSS --series-N). */
  color: number;
  dash?: number[];
  /** Sparse series (validation at evaluation steps): dots joined across the gaps. */
  sparse?: boolean;
  /** Join across gaps without dots (an overlay on another run's steps). */
  spanGaps?: boolean;
  /** A filled band from this (lower) series up to the one at index `bandTo` (e.g. a percentile range). */
  bandTo?: number;
}

/** A labelled vertical line at a step (e.g. the best checkpoint), drawn when x is by step. */
export interface ChartMarker {
  step: number;
  label: string;
}

export interface OptionsInput {
  series: SeriesSpec[];
  settings: ChartSettings;
  smoothable: boolean;
  hasTime: boolean;
  width: number;
  height: number;
  formatY?: (v: number) => string;
  xLabel?: string;
  sync?: string;
  /** The y range when uPlot's own (the visible data's) is empty. */
  fallbackRange: () => [number, number] | null;
  markers?: () => ChartMarker[];
  onZoom: () => void;
}

/** Steps are whole numbers: tick spacing never goes below 1. */
const STEP_INCREMENTS = [1, 2, 5].flatMap((m) => [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7].map((p) => m * p)).sort((a, b) => a - b);

const css = (name: string): string => getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';

/** 1200 → 1.2k, for step axes. */
export function compactInt(v: number): string {
  const abs = Math.abs(v);
  if (abs >= 1e6) return `${+(v / 1e6).toFixed(2)}M`;
  if (abs >= 1e3) return `${+(v / 1e3).toFixed(1)}k`;
  return String(Math.round(v * 100) / 100);
}

/** Seconds → "45s", "12m", "3.5h" for a time axis. */
export function compactSeconds(v: number): string {
  const abs = Math.abs(v);
  if (abs < 120) return `${+v.toFixed(1)}s`;
  if (abs < 7200) return `${+(v / 60).toFixed(1)}m`;
  return `${+(v / 3600).toFixed(1)}h`;
}

/** Epoch seconds → local "14:03:27" (the legend's value on a wall-clock axis). */
export const clockTime = (v: number): string => new Date(v * 1000).toLocaleTimeString('en-GB');

/** A palette colour at about 30% opacity (canvas strokes take #rrggbbaa). */
export function faint(color: string, alpha = '4d'): string {
  return /^#[0-9a-f]{6}$/i.test(color) ? `${color}${alpha}` : color;
}

export function padRange(min: number, max: number, log: boolean): [number, number] {
  // Equal up to float noise (a smoothed constant): an axis over 4e-16 would need a tick per ulp.
  const flat = max - min <= 1e-9 * Math.max(Math.abs(min), Math.abs(max));
  if (log) return flat ? [min / 2, max * 2] : [min / 1.15, max * 1.15];
  if (flat) {
    const d = Math.abs(min) * 0.1 || 1;
    return [min - d, max + d];
  }
  const pad = (max - min) * 0.05;
  return [min - pad, max + pad];
}

function axis(values: (v: number) => string): uPlot.Axis {
  const grid = css('--grid');
  return {
    stroke: css('--text-muted'),
    grid: { stroke: grid, width: 1 },
    ticks: { stroke: grid, width: 1 },
    font: '11px system-ui, sans-serif',
    // A log axis leaves minor ticks unlabelled (null splits).
    values: (_u, splits) => splits.map((v) => (v == null ? '' : values(v))),
  };
}

function xAxis(o: OptionsInput): { axis: uPlot.Axis; label: string; value: (v: number) => string; time: boolean } {
  const mode = o.hasTime ? o.settings.x : 'step';
  if (mode === 'wall') return { axis: { ...axis(clockTime), values: undefined }, label: 'time', value: clockTime, time: true };
  if (mode === 'time') return { axis: axis(compactSeconds), label: 'time', value: compactSeconds, time: false };
  const step = (v: number) => Math.round(v).toLocaleString('en-US');
  return { axis: { ...axis(compactInt), incrs: STEP_INCREMENTS }, label: o.xLabel ?? 'step', value: step, time: false };
}

function uSeries(o: OptionsInput, fmt: (v: number) => string): uPlot.Series[] {
  const value = (_u: uPlot, v: number | null) => (v == null || Number.isNaN(v) ? '—' : fmt(v));
  const out: uPlot.Series[] = [];
  const raw = drawsRaw(o.settings, o.smoothable);
  for (const sp of o.series) {
    const stroke = css(`--series-${sp.color % 8}`);
    const common = { dash: sp.dash, spanGaps: !!sp.sparse || !!sp.spanGaps, value, width: 1 };
    // 1 px lines: a fractional width is several times slower to rasterise for jagged series.
    if (raw) {
      out.push({ ...common, label: `${sp.label} (raw)`, stroke: faint(stroke), points: { show: false } });
      out.push({ ...common, label: sp.label, stroke, width: 1.5, points: { show: !!sp.sparse, size: 5 } });
    } else out.push({ ...common, label: sp.label, stroke, points: { show: !!sp.sparse, size: 5 } });
  }
  return out;
}

/** Vertical dashed lines with their label at the top of the plot. */
function drawMarkers(u: uPlot, markers: ChartMarker[]): void {
  const { ctx } = u;
  const color = css('--text-muted');
  const { top, height } = u.bbox;
  ctx.save();
  ctx.strokeStyle = color;
  ctx.fillStyle = color;
  ctx.setLineDash([4, 4]);
  ctx.font = `${11 * devicePixelRatio}px system-ui, sans-serif`;
  for (const m of markers) {
    const x = Math.round(u.valToPos(m.step, 'x', true));
    if (!(x >= u.bbox.left && x <= u.bbox.left + u.bbox.width)) continue;
    ctx.beginPath();
    ctx.moveTo(x, top);
    ctx.lineTo(x, top + height);
    ctx.stroke();
    ctx.fillText(m.label, x + 4 * devicePixelRatio, top + 12 * devicePixelRatio);
  }
  ctx.restore();
}

export function chartOptions(
  o: OptionsInput,
  yRange: (min: number | null, max: number | null) => uPlot.Range.MinMax,
): uPlot.Options {
  const fmt = o.formatY ?? ((v: number) => formatNumber(v, 3));
  const x = xAxis(o);
  // Bands pair two series of `o.series`; with smoothing each curve is two uPlot series, so none then.
  const bands = drawsRaw(o.settings, o.smoothable)
    ? []
    : o.series.flatMap((sp, i) =>
        // uPlot fills from the upper series (first) down to the lower one.
        sp.bandTo === undefined
          ? []
          : [{ series: [sp.bandTo + 1, i + 1] as [number, number], fill: faint(css(`--series-${sp.color % 8}`), '26') }],
      );
  return {
    width: o.width,
    height: o.height,
    scales: { x: { time: x.time }, y: { distr: o.settings.logY ? 3 : 1, range: (_u, min, max) => yRange(min, max) } },
    axes: [x.axis, { ...axis(fmt), size: 72 }],
    series: [{ label: x.label, value: (_u, v) => (v == null ? '—' : x.value(v)) }, ...uSeries(o, fmt)],
    bands,
    legend: { live: true },
    cursor: {
      drag: { x: true, y: false },
      points: { size: 6 },
      // Only x follows the other charts: their y axes measure other things.
      ...(o.sync ? { sync: { key: o.sync, setSeries: false, match: [(a: string, b: string) => a === b, () => false] } } : {}),
    } as uPlot.Cursor,
    hooks: {
      setSelect: [(u) => void (u.select.width > 0 && o.onZoom())],
      draw: o.markers && o.settings.x === 'step' ? [(u) => drawMarkers(u, o.markers!())] : [],
    },
  };
}
