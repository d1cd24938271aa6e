/**
 * A themed uPlot line chart that (re)builds itself when it gets a size, the theme or the chart
 * settings' shape changes, and redraws through the frame scheduler. Training charts follow the shared
 * settings (smoothing, log y, x by step or time) and share one cursor per `sync` key; the legend
 * shows every series' value at the cursor. Dragging zooms (the chart then stops following new data);
 * double-click returns to the live, auto-scaled view.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { h } from '../dom';
import { formatNumber } from '../format';
import { onThemeChange } from '../theme';
import { chartSettings, onChartSettings, type ChartSettings } from './chart-settings';
import { Buffers, drawsRaw, transformColumns } from './chart-transform';
import { cancelDraw, requestDraw, type Drawable } from './draw-scheduler';

export interface SeriesSpec {
  label: string;
  /** Palette slot 0..7 (CSS --series-N). */
  color: number;
  dash?: number[];
  /** Sparse series (validation at evaluation steps): dots joined across the gaps. */
  sparse?: boolean;
}

export interface ChartSpec {
  title: string;
  testid: string;
  series: SeriesSpec[];
  /** x values (steps), then one array per series. Called on every redraw, so it must be cheap. */
  data: () => uPlot.AlignedData;
  /** Wall-clock ms per x value, for "x by relative time". */
  time?: () => ArrayLike<number>;
  /** Follow the shared chart settings (smoothing only when `smoothable`). */
  followSettings?: boolean;
  smoothable?: boolean;
  /** Charts with the same key share one cursor. */
  sync?: string;
  formatY?: (v: number) => string;
  xLabel?: string;
  height?: number;
}

const FIXED: ChartSettings = { smoothing: 0, logY: false, x: 'step' };

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

/** A palette colour at about 30% opacity (canvas strokes take #rrggbbaa). */
function faint(color: string): string {
  return /^#[0-9a-f]{6}$/i.test(color) ? `${color}4d` : color;
}

function padRange(min: number, max: number, log: boolean): [number, number] {
  if (log) return min === max ? [min / 2, max * 2] : [min / 1.15, max * 1.15];
  if (min === max) {
    const d = Math.abs(min) * 0.1 || 1;
    return [min - d, max + d];
  }
  const pad = (max - min) * 0.05;
  return [min - pad, max + pad];
}

export class Chart implements Drawable {
  readonly element: HTMLElement;
  private readonly body: HTMLElement;
  private readonly empty: HTMLElement;
  private plot: uPlot | null = null;
  private follow = true;
  private width = 0;
  private shape = '';
  private range: [number, number] | null = null;
  private readonly bufs = new Buffers();
  private readonly resize: ResizeObserver;
  private readonly stops: (() => void)[];

  constructor(private spec: ChartSpec) {
    this.body = h('div', { class: 'chart-body' });
    this.empty = h('p', { class: 'chart-empty' }, 'No data yet');
    this.element = h(
      'figure',
      { class: 'chart', 'data-testid': spec.testid },
      h('figcaption', null, spec.title),
      this.body,
      this.empty,
    );
    this.resize = new ResizeObserver(() => this.onResize());
    this.resize.observe(this.body);
    this.stops = [onThemeChange(() => this.rebuild()), onChartSettings(() => this.invalidate())];
  }

  private get settings(): ChartSettings {
    return this.spec.followSettings ? chartSettings() : FIXED;
  }

  /** New data arrived: redraw on a coming frame. */
  invalidate(): void {
    requestDraw(this);
  }

  /** Replaces the series (e.g. a metric appeared); the plot is rebuilt. */
  setSeries(series: SeriesSpec[]): void {
    this.spec = { ...this.spec, series };
    this.rebuild();
  }

  draw(): void {
    const s = this.settings;
    const shape = `${drawsRaw(s, !!this.spec.smoothable)}|${s.logY}|${s.x}`;
    if (shape !== this.shape && this.plot) this.rebuild(false);
    this.shape = shape;
    const raw = this.spec.data();
    const { data, range } = transformColumns(raw, this.spec.time?.() ?? null, s, !!this.spec.smoothable, this.bufs);
    this.range = range;
    this.empty.hidden = data[0].length > 0;
    this.describe(data, s);
    if (!this.plot) return this.create(data);
    this.plot.setData(data, this.follow);
  }

  destroy(): void {
    cancelDraw(this);
    this.resize.disconnect();
    for (const stop of this.stops) stop();
    this.plot?.destroy();
    this.plot = null;
  }

  /** What tests (and curious users in devtools) can read without looking at pixels. */
  private describe(data: uPlot.AlignedData, s: ChartSettings): void {
    const d = this.element.dataset;
    d.points = String(data[0].length);
    d.smoothing = String(drawsRaw(s, !!this.spec.smoothable) ? s.smoothing : 0);
    d.yScale = s.logY ? 'log' : 'linear';
    d.x = s.x;
    const lastFinite = (col: ArrayLike<number | null> | undefined): string => {
      for (let i = (col?.length ?? 0) - 1; i >= 0; i--) if (Number.isFinite(col![i])) return String(col![i]);
      return '';
    };
    const raw = drawsRaw(s, !!this.spec.smoothable);
    d.lastRaw = lastFinite(data[1] as ArrayLike<number>);
    d.lastShown = lastFinite(data[raw ? 2 : 1] as ArrayLike<number>);
  }

  private onResize(): void {
    const width = Math.floor(this.body.clientWidth);
    if (width === 0 || width === this.width) return;
    this.width = width;
    if (this.plot) this.plot.setSize({ width, height: this.spec.height ?? 200 });
    else this.invalidate();
  }

  private rebuild(redraw = true): void {
    this.plot?.destroy();
    this.plot = null;
    if (redraw) this.invalidate();
  }

  private create(data: uPlot.AlignedData): void {
    if (this.width === 0) return; // not laid out yet: the resize observer will ask again
    this.follow = true;
    this.plot = new uPlot(this.options(), data, this.body);
    this.element.dataset.distr = String(this.plot.scales.y.distr);
    // The faint raw copies stay out of the legend: it lists each smoothed series once.
    if (drawsRaw(this.settings, !!this.spec.smoothable)) {
      this.plot.root.querySelectorAll<HTMLElement>('.u-legend .u-series').forEach((row, i) => {
        if (i > 0 && i % 2 === 1) row.hidden = true;
      });
    }
    this.plot.over.addEventListener('dblclick', () => {
      this.follow = true;
      this.invalidate();
    });
  }

  private options(): uPlot.Options {
    const s = this.settings;
    const text = css('--text-muted');
    const grid = css('--grid');
    const fmt = this.spec.formatY ?? ((v: number) => formatNumber(v, 3));
    const axis = (values: (v: number) => string): uPlot.Axis => ({
      stroke: text,
      grid: { stroke: grid, width: 1 },
      ticks: { stroke: grid, width: 1 },
      font: '11px system-ui, sans-serif',
      values: (_u, splits) => splits.map(values),
    });
    const byTime = s.x === 'time' && !!this.spec.time;
    const xAxis = byTime ? axis(compactSeconds) : { ...axis(compactInt), incrs: STEP_INCREMENTS };
    const value = (_u: uPlot, v: number | null) => (v == null || Number.isNaN(v) ? '—' : fmt(v));
    const series: uPlot.Series[] = [];
    for (const sp of this.spec.series) {
      const stroke = css(`--series-${sp.color % 8}`);
      const common = { dash: sp.dash, spanGaps: !!sp.sparse, value, width: 1 };
      // 1 px lines: a fractional width is several times slower to rasterise for jagged series.
      if (drawsRaw(s, !!this.spec.smoothable)) {
        series.push({ ...common, label: `${sp.label} (raw)`, stroke: faint(stroke), points: { show: false } });
        series.push({ ...common, label: sp.label, stroke, width: 1.5, points: { show: !!sp.sparse, size: 5 } });
      } else series.push({ ...common, label: sp.label, stroke, points: { show: !!sp.sparse, size: 5 } });
    }
    return {
      width: this.width,
      height: this.spec.height ?? 200,
      scales: {
        x: { time: false },
        y: { distr: s.logY ? 3 : 1, range: (_u, min, max) => this.yRange(min, max, s.logY) },
      },
      axes: [xAxis, { ...axis(fmt), size: 72 }],
      series: [
        {
          label: byTime ? 'time' : (this.spec.xLabel ?? 'step'),
          value: (_u, v) => (v == null ? '—' : byTime ? compactSeconds(v) : Math.round(v).toLocaleString('en-US')),
        },
        ...series,
      ],
      legend: { live: true },
      cursor: {
        drag: { x: true, y: false },
        points: { size: 6 },
        ...(this.spec.sync ? { sync: { key: this.spec.sync, setSeries: false } } : {}),
      },
      hooks: { setSelect: [(u) => void (u.select.width > 0 && (this.follow = false))] },
    };
  }

  private yRange(min: number | null, max: number | null, log: boolean): uPlot.Range.MinMax {
    const ok = (v: number | null): v is number => v !== null && Number.isFinite(v) && (!log || v > 0);
    if (ok(min) && ok(max)) return padRange(min, max, log);
    return this.range ? padRange(this.range[0], this.range[1], log) : log ? [0.1, 10] : [0, 1];
  }
}
