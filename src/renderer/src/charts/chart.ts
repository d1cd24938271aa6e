/**
 * A themed uPlot line chart that (re)builds itself when it gets a size, the theme or the chart
 * settings' shape changes, and redraws through the frame scheduler. Training charts follow the shared
 * settings (smoothing, log y, x by step, relative or wall-clock time) and share one cursor per `sync`
 * key; the legend shows every series' value at the cursor. Dragging zooms x and rescales y to what is
 * visible (the chart then stops following new data); double-click returns to the live view.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { h } from '../dom';
import { onThemeChange } from '../theme';
import { chartOptions, padRange, type ChartMarker, type SeriesSpec } from './chart-options';
import { chartSettings, onChartSettings, type ChartSettings } from './chart-settings';
import { Buffers, drawsRaw, transformColumns } from './chart-transform';
import { cancelDraw, requestDraw, type Drawable } from './draw-scheduler';

export type { ChartMarker, SeriesSpec } from './chart-options';
export { compactInt, compactSeconds } from './chart-options';

export interface ChartSpec {
  title: string;
  testid: string;
  series: SeriesSpec[];
  /** x values (steps), then one array per series. Called on every redraw, so it must be cheap. */
  data: () => uPlot.AlignedData;
  /** Wall-clock ms per x value, for "x by time". */
  time?: () => ArrayLike<number>;
  /** Follow the shared chart settings (smoothing only when `smoothable`). */
  followSettings?: boolean;
  smoothable?: boolean;
  /** Charts with the same key share one cursor. */
  sync?: string;
  formatY?: (v: number) => string;
  xLabel?: string;
  height?: number;
  /** Vertical lines at steps (the best checkpoint). */
  markers?: () => ChartMarker[];
  /** Always a log y axis (figures that span decades, such as the accumulators' norms). */
  logY?: boolean;
}

const FIXED: ChartSettings = { smoothing: 0, logY: false, x: 'step' };

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
    const s = this.spec.followSettings ? chartSettings() : FIXED;
    return this.spec.logY ? { ...s, logY: true } : s;
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
    const { data, numeric, range } = transformColumns(
      this.spec.data(),
      this.spec.time?.() ?? null,
      s,
      !!this.spec.smoothable,
      this.bufs,
    );
    this.range = range;
    this.empty.hidden = data[0].length > 0;
    this.describe(data[0].length, numeric, s);
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
  private describe(points: number, ys: Float64Array[], s: ChartSettings): void {
    const d = this.element.dataset;
    const raw = drawsRaw(s, !!this.spec.smoothable);
    d.points = String(points);
    d.smoothing = String(raw ? s.smoothing : 0);
    d.yScale = s.logY ? 'log' : 'linear';
    d.x = s.x;
    const lastFinite = (col: Float64Array | undefined): string => {
      for (let i = (col?.length ?? 0) - 1; i >= 0; i--) if (Number.isFinite(col![i])) return String(col![i]);
      return '';
    };
    d.lastRaw = lastFinite(ys[0]);
    d.lastShown = lastFinite(ys[raw ? 1 : 0]);
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
    const s = this.settings;
    const options = chartOptions(
      {
        ...this.spec,
        settings: s,
        smoothable: !!this.spec.smoothable,
        hasTime: !!this.spec.time,
        width: this.width,
        height: this.spec.height ?? 200,
        fallbackRange: () => this.range,
        onZoom: () => (this.follow = false),
      },
      (min, max) => this.yRange(min, max, s.logY),
    );
    options.hooks!.setScale = [(u, key) => void (key === 'y' && this.showRange(u))];
    this.plot = new uPlot(options, data, this.body);
    this.element.dataset.distr = String(this.plot.scales.y.distr);
    // The faint raw copies stay out of the legend: it lists each smoothed series once. A label cut
    // to one line (a long run name) shows whole on hover.
    const raw = drawsRaw(s, !!this.spec.smoothable);
    this.plot.root.querySelectorAll<HTMLElement>('.u-legend .u-series').forEach((row, i) => {
      if (raw && i > 0 && i % 2 === 1) row.hidden = true;
      const label = row.querySelector<HTMLElement>('.u-label');
      if (label) label.title = label.textContent ?? '';
    });
    this.plot.over.addEventListener('dblclick', () => {
      this.follow = true;
      this.invalidate();
    });
  }

  /** The y scale shown, for tests: a zoom must rescale it to the visible points. */
  private showRange(u: uPlot): void {
    this.element.dataset.yMin = String(u.scales.y.min);
    this.element.dataset.yMax = String(u.scales.y.max);
  }

  private yRange(min: number | null, max: number | null, log: boolean): uPlot.Range.MinMax {
    const ok = (v: number | null): v is number => v !== null && Number.isFinite(v) && (!log || v > 0);
    if (ok(min) && ok(max)) return padRange(min, max, log);
    return this.range ? padRange(this.range[0], this.range[1], log) : log ? [0.1, 10] : [0, 1];
  }
}
