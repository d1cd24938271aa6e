/**
 * Compare's charts: one per metric family (loss with val_loss, accuracy with val_accuracy, …), one
 * colour per run — its training curve solid, its validation points dashed — with a shared cursor.
 */
import type uPlot from 'uplot';
import type { MetricPoint, RunDetail } from '../../../../shared/api';
import { Chart, type SeriesSpec } from '../../charts/chart';
import { familyTitle, metricFamilies } from '../live/metric-families';
import { joinCurves, metricNames } from './join';

export function createCompareCharts(runs: RunDetail[], metrics: MetricPoint[][]): Chart[] {
  return metricFamilies(metricNames(metrics)).map((f) => {
    const names = [f.train, f.val].filter((n): n is string => n !== null);
    const joined = names.map((n) => joinCurves(metrics, n));
    // Every join has the same x (the union of all runs' steps), so the columns line up.
    const data: uPlot.AlignedData = [joined[0][0], ...runs.flatMap((_r, i) => joined.map((j) => j[i + 1]))];
    const series: SeriesSpec[] = runs.flatMap((r, i) =>
      names.map((n) =>
        n === f.val
          ? { label: `${r.name} · ${n}`, color: i, dash: [5, 3], sparse: true }
          : { label: `${r.name} · ${n}`, color: i },
      ),
    );
    return new Chart({
      title: familyTitle(f.name),
      testid: f.name === 'loss' ? 'compare-chart' : `compare-chart-${f.name}`,
      series,
      data: () => data,
      followSettings: true,
      smoothable: true,
      sync: 'compare',
      xLabel: 'step',
      height: 280,
    });
  });
}
