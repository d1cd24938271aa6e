/**
 * The run page's Optimizer tab: Adadelta's own state per variable over the run, as the workers
 * measured it every `optimizerStatsEvery` steps (docs/dashboard.md). Loaded when first shown, then
 * kept current by `optimizer-stats` events.
 */
import type { OptimizerStatsPoint, RendererApi, RunDetail } from '../../../../shared/api';
import { debounce, h, replaceChildren } from '../../dom';
import { createOptimizerCharts } from './optimizer-charts';
import { mergePoints, variablePaths, variableSeries } from './optimizer-series';
import { optimizerTable } from './optimizer-table';
import { weightHistograms } from './weight-histograms';

export interface OptimizerTab {
  element: HTMLElement;
  /** The tab became visible: load the history once. */
  shown(): void;
  add(points: OptimizerStatsPoint[]): void;
  show(detail: RunDetail): void;
  dispose(): void;
}

function emptyText(detail: RunDetail | null): string {
  const every = detail?.config.optimizerStatsEvery;
  if (every === 0) return 'This run records no optimizer state (optimizerStatsEvery is 0).';
  return 'No optimizer state recorded yet: the workers measure it every optimizerStatsEvery steps.';
}

export function createOptimizerTab(api: RendererApi, runId: string): OptimizerTab {
  let points: OptimizerStatsPoint[] = [];
  let selected = '';
  let loaded = false;
  let detail: RunDetail | null = null;
  const charts = createOptimizerCharts();
  const table = h('div', { 'data-testid': 'opt-table-slot' });
  const ridges = h('div', { class: 'ridges-wrap' });
  const empty = h('p', { class: 'muted empty-state', 'data-testid': 'opt-empty' });
  const title = h('h2', { 'data-testid': 'opt-selected' });
  const content = h(
    'div',
    { hidden: true },
    table,
    h('div', { class: 'panel-title-row' }, title),
    charts.element,
    h(
      'section',
      { class: 'panel', 'aria-label': 'Weight histograms over time' },
      h('h2', null, 'Weight histograms over time'),
      ridges,
    ),
  );
  const render = (): void => {
    const paths = variablePaths(points);
    empty.textContent = emptyText(detail);
    empty.hidden = paths.length > 0;
    content.hidden = paths.length === 0;
    if (paths.length === 0) return;
    if (!paths.includes(selected)) selected = paths[0]!;
    title.textContent = selected;
    replaceChildren(
      table,
      optimizerTable(points.at(-1)!, selected, (p) => ((selected = p), render())),
    );
    charts.show(variableSeries(points, selected));
    replaceChildren(ridges, weightHistograms(points, selected, Math.max(320, ridges.clientWidth || 900)));
  };
  const redrawRidges = debounce(() => !content.hidden && render(), 150);
  const resize = new ResizeObserver(() => redrawRidges());
  resize.observe(ridges);
  const element = h('div', { class: 'optimizer-tab', 'data-testid': 'optimizer-tab' }, empty, content);
  return {
    element,
    shown() {
      if (loaded) return;
      loaded = true;
      api.getOptimizerStats(runId).then(
        (got) => {
          // Events that came while loading are newer than what was stored then.
          const last = got.at(-1)?.step ?? -1;
          points = [...got, ...points.filter((p) => p.step > last)];
          render();
        },
        (err: Error) => ((empty.textContent = `Could not load the optimizer state: ${err.message}`), (empty.hidden = false)),
      );
    },
    add(incoming) {
      points = mergePoints(points, incoming);
      if (loaded) render();
    },
    show(d) {
      detail = d;
      if (points.length === 0) render();
    },
    dispose() {
      resize.disconnect();
      redrawRidges.cancel();
      charts.dispose();
    },
  };
}
