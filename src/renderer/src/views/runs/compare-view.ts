/** Two or more runs side by side: every metric overlaid (train and validation) and the config keys that differ. */
import type { Chart } from '../../charts/chart';
import { createChartToolbar } from '../../charts/chart-toolbar';
import { h, replaceChildren } from '../../dom';
import { formatNumber, plural } from '../../format';
import type { View, ViewContext } from '../../view';
import { statusBadge } from '../live/run-header';
import { createCompareCharts } from './compare-charts';
import { renderConfigDiff } from './config-diff';

export function createCompareView(ctx: ViewContext, runIds: string[]): View {
  const { api } = ctx;
  const chartSlot = h('div', { class: 'chart-grid compare-grid' });
  const legend = h('ul', { class: 'compare-legend', 'data-testid': 'compare-legend' });
  const diffBody = h('div', { 'data-testid': 'diff-body' }, h('p', { class: 'muted' }, 'Loading…'));
  const toolbar = createChartToolbar();
  let charts: Chart[] = [];

  const load = async (): Promise<void> => {
    const runs = await Promise.all(runIds.map((id) => api.getRun(id)));
    const [metrics, diffs] = await Promise.all([Promise.all(runIds.map((id) => api.getMetrics(id))), api.diffConfigs(runIds)]);
    charts = createCompareCharts(runs, metrics);
    replaceChildren(
      chartSlot,
      charts.map((c) => h('div', { class: 'chart-cell' }, c.element)),
    );
    for (const c of charts) c.invalidate();
    replaceChildren(
      legend,
      runs.map((r, i) =>
        h(
          'li',
          null,
          h('span', { class: `swatch swatch-${i % 8}`, 'aria-hidden': 'true' }),
          h('a', { href: `#/run/${encodeURIComponent(r.id)}`, class: 'legend-name', title: r.name }, r.name),
          ' ',
          statusBadge(r.status, `compare-status-${r.id}`),
          h('span', { class: 'muted' }, ` last loss ${formatNumber(r.lastLoss)}`),
        ),
      ),
    );
    replaceChildren(diffBody, renderConfigDiff(runs, diffs));
  };
  load().catch((err: Error) =>
    replaceChildren(diffBody, h('p', { class: 'banner banner-error', role: 'alert' }, `Could not compare: ${err.message}`)),
  );

  return {
    element: h(
      'div',
      { class: 'view view-compare', 'data-testid': 'view-compare' },
      h(
        'div',
        { class: 'view-header' },
        h('div', null, h('h1', null, 'Compare runs'), h('p', { class: 'lead' }, plural(runIds.length, 'run'))),
        h('a', { class: 'button', href: '#/runs' }, 'Back to runs'),
      ),
      legend,
      toolbar.element,
      chartSlot,
      h(
        'section',
        { class: 'panel diff-panel', 'aria-labelledby': 'diff-title' },
        h('h2', { id: 'diff-title' }, 'Config differences'),
        diffBody,
      ),
    ),
    title: 'Compare runs',
    dispose: () => {
      toolbar.dispose();
      for (const c of charts) c.destroy();
    },
  };
}
