/**
 * The live chart grid: loss (with val_loss), one chart per model metric (with its val_ twin), then
 * learning rate, gradient norm, throughput and step time. Every chart follows the shared chart
 * settings and shares one cursor, so hovering one shows every chart's values at that step. The loss
 * and metric charts mark the best checkpoint's step.
 */
import { Chart, type ChartMarker, type SeriesSpec } from '../../charts/chart';
import { h } from '../../dom';
import { formatMs, formatNumber } from '../../format';
import { familyTitle, metricFamilies, type MetricFamily } from './metric-families';
import { type RunMetrics, metricColumn } from './run-metrics';

export interface MetricCharts {
  element: HTMLElement;
  /** New points arrived; `newMetric` when a metric name appeared. */
  update(newMetric: boolean): void;
  setMarkers(markers: ChartMarker[]): void;
  dispose(): void;
}

let syncCounter = 0;

// 'loss' is a base column; every other metric lives in a metric: column.
const column = (name: string) => (name === 'loss' ? 'loss' : metricColumn(name));
const familySeries = (f: MetricFamily, color: number): SeriesSpec[] => [
  ...(f.train ? [{ label: f.train, color }] : []),
  ...(f.val ? [{ label: f.val, color: color + 1, dash: [5, 3], sparse: true }] : []),
];

/** The four charts of per-step figures that are not model metrics. */
function systemCharts(run: RunMetrics, base: Partial<ConstructorParameters<typeof Chart>[0]>): Chart[] {
  const { store } = run;
  const single = (
    title: string,
    testid: string,
    col: string,
    color: number,
    formatY?: (v: number) => string,
    smoothable = true,
  ) =>
    new Chart({
      ...base,
      smoothable,
      title,
      testid,
      series: [{ label: title, color }],
      data: () => [store.column('step'), store.column(col)],
      formatY,
    });
  return [
    single('Learning rate', 'chart-lr', 'learningRate', 2, (v) => formatNumber(v, 3), false),
    single('Gradient norm', 'chart-grad-norm', 'gradNorm', 3),
    single('Samples / s', 'chart-throughput', 'samplesPerSec', 4, (v) => formatNumber(v, 3)),
    single('Step time', 'chart-step-time', 'stepTimeMs', 5, formatMs),
  ];
}

export function createMetricCharts(run: RunMetrics): MetricCharts {
  const { store } = run;
  let markers: ChartMarker[] = [];
  const base = { time: () => store.column('time'), sync: `live-${++syncCounter}`, followSettings: true, smoothable: true };
  const families = new Map<string, { chart: Chart; family: MetricFamily }>();
  // Reads the family from the map on every draw: a val_ twin that appears later adds a column.
  const familyChart = (f: MetricFamily, color: number): Chart =>
    new Chart({
      ...base,
      title: familyTitle(f.name),
      testid: f.name === 'loss' ? 'chart-loss' : `chart-metric-${f.name}`,
      series: familySeries(f, color),
      data: () => {
        const { train, val } = families.get(f.name)?.family ?? f;
        const names = [train, val].filter((n): n is string => n !== null);
        return [store.column('step'), ...names.map((n) => store.column(column(n)))];
      },
      markers: () => markers,
      height: 260,
    });
  const grid = h('section', { class: 'chart-grid', 'aria-label': 'Training curves' });
  const others = systemCharts(run, base);
  const otherCells = others.map((c) => h('div', { class: 'chart-cell' }, c.element));
  /** Adds charts for new families and new val_ twins; keeps the loss chart first. */
  const syncFamilies = (): void => {
    metricFamilies(['loss', ...run.metricNames.filter((n) => n !== 'loss')]).forEach((f, i) => {
      const known = families.get(f.name);
      if (!known) {
        const chart = familyChart(f, i * 2);
        families.set(f.name, { chart, family: f });
        otherCells[0]!.before(h('div', { class: 'chart-cell' }, chart.element));
      } else if (known.family.val !== f.val || known.family.train !== f.train) {
        known.family = f;
        known.chart.setSeries(familySeries(f, i * 2));
      }
    });
    // Alone on its row (no model metrics), the loss chart takes the full width.
    families.get('loss')?.chart.element.parentElement?.classList.toggle('chart-wide', families.size === 1);
  };
  grid.append(...otherCells);
  syncFamilies();
  const all = (): Chart[] => [...[...families.values()].map((f) => f.chart), ...others];
  return {
    element: h('div', { class: 'charts' }, grid),
    update(newMetric) {
      if (newMetric) syncFamilies();
      for (const c of all()) c.invalidate();
    },
    setMarkers(next) {
      markers = next;
      for (const { chart } of families.values()) chart.invalidate();
    },
    dispose() {
      for (const c of all()) c.destroy();
    },
  };
}
