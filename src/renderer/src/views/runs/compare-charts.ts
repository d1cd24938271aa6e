/**
 * Compare's charts, one colour per run: one per metric family (loss with val_loss, accuracy with
 * val_accuracy, …; training solid, validation dashed with dots), then every other per-step figure —
 * learning rate, gradient norm, samples per second, step time — all with one shared cursor.
 */
import type uPlot from 'uplot';
import type { MetricPoint, RunDetail } from '../../../../shared/api';
import { Chart, type SeriesSpec } from '../../charts/chart';
import { formatMs, formatNumber } from '../../format';
import { familyTitle, metricFamilies } from '../live/metric-families';
import { STEP_FIELDS, joinCurves, metricNames } from './join';

const STEP_CHARTS: Record<
  (typeof STEP_FIELDS)[number],
  { title: string; testid: string; formatY?: (v: number) => string; smoothable: boolean }
> = {
  learningRate: { title: 'Learning rate', testid: 'compare-chart-lr', formatY: (v) => formatNumber(v, 3), smoothable: false },
  gradNorm: { title: 'Gradient norm', testid: 'compare-chart-grad-norm', smoothable: true },
  samplesPerSec: {
    title: 'Samples / s',
    testid: 'compare-chart-throughput',
    formatY: (v) => formatNumber(v, 3),
    smoothable: true,
  },
  stepTimeMs: { title: 'Step time', testid: 'compare-chart-step-time', formatY: formatMs, smoothable: true },
};

function overlay(
  runs: RunDetail[],
  metrics: MetricPoint[][],
  names: string[],
  val: string | null,
): { data: uPlot.AlignedData; series: SeriesSpec[] } {
  const joined = names.map((n) => joinCurves(metrics, n));
  // Every join has the same x (the union of all runs' steps), so the columns line up.
  const data: uPlot.AlignedData = [joined[0]![0], ...runs.flatMap((_r, i) => joined.map((j) => j[i + 1]!))];
  const series = runs.flatMap((r, i) =>
    names.map((n) =>
      n === val
        ? { label: `${r.name} · ${n}`, color: i, dash: [5, 3], sparse: true }
        : { label: `${r.name} · ${n}`, color: i, spanGaps: true },
    ),
  );
  return { data, series };
}

export function createCompareCharts(runs: RunDetail[], metrics: MetricPoint[][]): Chart[] {
  const common = { followSettings: true, sync: 'compare', xLabel: 'step', height: 280 };
  const families = metricFamilies(metricNames(metrics)).map((f) => {
    const { data, series } = overlay(
      runs,
      metrics,
      [f.train, f.val].filter((n): n is string => n !== null),
      f.val,
    );
    const testid = f.name === 'loss' ? 'compare-chart' : `compare-chart-${f.name}`;
    return new Chart({ ...common, title: familyTitle(f.name), testid, series, data: () => data, smoothable: true });
  });
  const steps = STEP_FIELDS.map((field) => {
    const { data, series } = overlay(runs, metrics, [field], null);
    const spec = STEP_CHARTS[field];
    return new Chart({ ...common, ...spec, series: series.map((s, i) => ({ ...s, label: runs[i]!.name })), data: () => data });
  });
  return [...families, ...steps];
}
