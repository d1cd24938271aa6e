/**
 * The charts of one variable's Adadelta state over steps: the accumulators' norms, the effective step
 * size (median inside its 10–90% band), the update-to-parameter ratio, and the weights' distribution
 * as TensorBoard draws it (nested percentile bands around the median).
 */
import { Chart } from '../../charts/chart';
import { h } from '../../dom';
import { formatNumber } from '../../format';
import type { VariableSeries } from './optimizer-series';

export interface OptimizerCharts {
  element: HTMLElement;
  show(series: VariableSeries): void;
  dispose(): void;
}

const fmt = (v: number) => formatNumber(v, 3);

export function createOptimizerCharts(): OptimizerCharts {
  let s: VariableSeries | null = null;
  const none = new Float64Array(0);
  const base = { followSettings: true, smoothable: false, sync: 'optimizer', formatY: fmt, time: () => s?.times ?? none };
  const steps = () => s?.steps ?? none;
  const charts = [
    new Chart({
      ...base,
      title: 'Accumulator norms ‖E[g²]‖, ‖E[Δx²]‖ (log)',
      testid: 'opt-chart-norms',
      logY: true, // E[Δx²] is often orders of magnitude below E[g²]
      series: [
        { label: '‖accumulated_grad‖', color: 0 },
        { label: '‖accumulated_delta_var‖', color: 1 },
      ],
      data: () => [steps(), s?.accumulatedGradNorm ?? none, s?.accumulatedDeltaNorm ?? none],
    }),
    new Chart({
      ...base,
      title: 'Effective step size √(E[Δx²]+ε)/√(E[g²]+ε): median, 10–90%',
      testid: 'opt-chart-step-size',
      series: [
        { label: 'p10', color: 2, bandTo: 2 },
        { label: 'median', color: 2 },
        { label: 'p90', color: 2 },
      ],
      data: () => [steps(), ...(s ? [s.stepSize[0]!, s.stepSize[2]!, s.stepSize[4]!] : [none, none, none])],
    }),
    new Chart({
      ...base,
      title: 'Update / parameter ‖Δθ‖ / ‖θ‖',
      testid: 'opt-chart-update-ratio',
      series: [{ label: '‖Δθ‖/‖θ‖', color: 3 }],
      data: () => [steps(), s?.updateRatio ?? none],
    }),
    new Chart({
      ...base,
      title: 'Weights: distribution over steps',
      testid: 'opt-chart-weights',
      series: ['min', '6.7%', '15.9%', '30.9%', 'median', '69.1%', '84.1%', '93.3%', 'max'].map((label, i) => ({
        label,
        color: 4,
        ...(i < 4 ? { bandTo: 8 - i } : {}),
      })),
      data: () => [steps(), ...(s ? s.weights : Array.from({ length: 9 }, () => none))],
    }),
  ];
  return {
    element: h(
      'div',
      { class: 'chart-grid' },
      charts.map((c) => h('div', { class: 'chart-cell' }, c.element)),
    ),
    show(series) {
      s = series;
      for (const c of charts) c.invalidate();
    },
    dispose: () => charts.forEach((c) => c.destroy()),
  };
}
