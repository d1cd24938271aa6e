/**
 * One sweep, live: its summary, a parallel-coordinates plot of the hyperparameters against the
 * objective, which hyperparameter mattered most with the objective against each, and the trials
 * ranked best first; one click opens a trial's run, ticked trials compare. Refreshes on sweep and run
 * events, and by polling while it runs (a `dtrain sweep` in a terminal sends this engine no events).
 */
import type { SweepDetail } from '../../../../shared/api';
import { debounce, h, replaceChildren } from '../../dom';
import { formatNumber, formatTime } from '../../format';
import { navigate } from '../../router';
import type { View, ViewContext } from '../../view';
import { parallelCoordinates } from './parallel-coords';
import { sweepInsights } from './sweep-insights';
import { trialTable } from './trial-table';

const POLL_MS = 3000;

function sweepLead(s: SweepDetail): (Node | string)[] {
  return [
    h('span', { class: `badge badge-${s.status}`, 'data-testid': 'sweep-status', 'data-status': s.status }, s.status),
    ` ${s.method} · ${s.finishedCount} of ${s.trialCount} trials finished · objective ${s.objective.mode} ${s.objective.monitor}`,
    s.best ? ` · best ${formatNumber(s.best.value)}` : '',
    ` · started ${formatTime(s.createdAt)}`,
  ];
}

/** The parts of the page that show a loaded sweep. */
function createSweepBody() {
  const selected = new Set<string>();
  let sweep: SweepDetail | null = null;
  const title = h('h1', { 'data-testid': 'sweep-name' }, 'Loading sweep…');
  const lead = h('p', { class: 'lead' });
  const summary = h('p', { class: 'sweep-summary', 'data-testid': 'sweep-summary' });
  const plotSlot = h('div', { class: 'pc-wrap' });
  const insightSlot = h('div');
  const tableSlot = h('div');
  const compare = h(
    'button',
    { type: 'button', class: 'button button-primary', 'data-testid': 'compare-trials', disabled: true },
    'Compare selected',
  );
  compare.addEventListener('click', () => navigate({ view: 'compare', runIds: [...selected] }));
  const syncCompare = (): void => void (compare.disabled = selected.size < 2);
  const openTrial = (t: { runId: string | null }) => t.runId && navigate({ view: 'run', runId: t.runId });
  const drawPlot = (): void => {
    if (sweep)
      replaceChildren(plotSlot, parallelCoordinates(sweep, openTrial, Math.max(320, Math.floor(plotSlot.clientWidth || 800))));
  };
  return {
    title,
    lead,
    summary,
    plotSlot,
    insightSlot,
    tableSlot,
    compare,
    drawPlot,
    current: () => sweep,
    render(s: SweepDetail) {
      sweep = s;
      title.textContent = s.name;
      document.title = `${s.name} · dtrain`;
      lead.replaceChildren(...sweepLead(s));
      summary.textContent = s.summary;
      for (const id of [...selected]) if (!s.trials.some((t) => t.runId === id)) selected.delete(id);
      syncCompare();
      replaceChildren(tableSlot, trialTable(s, selected, syncCompare));
      replaceChildren(insightSlot, sweepInsights(s, openTrial));
      drawPlot();
    },
  };
}

export function createSweepView(ctx: ViewContext, sweepId: string): View {
  const { api } = ctx;
  const body = createSweepBody();
  let poll: ReturnType<typeof setTimeout> | undefined;
  let disposed = false;
  const resize = new ResizeObserver(debounce(body.drawPlot, 100));
  resize.observe(body.plotSlot);
  const load = async (): Promise<void> => {
    clearTimeout(poll);
    try {
      body.render(await api.getSweep(sweepId));
    } catch (err) {
      replaceChildren(
        body.tableSlot,
        h('p', { class: 'banner banner-error', role: 'alert' }, `Could not load sweep ${sweepId}: ${(err as Error).message}`),
      );
    }
    if (!disposed && body.current()?.status === 'running') poll = setTimeout(() => void load(), POLL_MS);
  };
  const reload = debounce(() => void load(), 300);
  const stop = api.onEvent((e) => {
    const mine =
      (e.type === 'sweep' && e.sweepId === sweepId) ||
      (e.type === 'status' && body.current()?.trials.some((t) => t.runId === e.runId));
    if (mine) reload();
  });
  void load();
  const panel = (label: string, cls: string, child: HTMLElement) =>
    h('section', { class: `panel ${cls}`, 'aria-label': label }, h('h2', null, label), child);
  const element = h(
    'div',
    { class: 'view view-sweep', 'data-testid': 'view-sweep', 'data-sweep-id': sweepId },
    h(
      'div',
      { class: 'view-header' },
      h('div', null, body.title, body.lead),
      h('div', { class: 'header-actions' }, h('a', { class: 'button', href: '#/sweeps' }, 'All sweeps'), body.compare),
    ),
    body.summary,
    panel('Hyperparameters against the objective', '', body.plotSlot),
    body.insightSlot,
    panel('Trials, best first', 'trials-panel', body.tableSlot),
  );
  return {
    element,
    title: 'Sweep',
    dispose() {
      disposed = true;
      stop();
      reload.cancel();
      clearTimeout(poll);
      resize.disconnect();
    },
  };
}
