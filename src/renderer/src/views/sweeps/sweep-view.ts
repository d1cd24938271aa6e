/**
 * One sweep, live: its summary, a parallel-coordinates plot of the hyperparameters against the
 * objective, and the trials ranked best first; one click opens a trial's run, ticked trials compare.
 * Refreshes on sweep and run events, and by polling while it runs (a `dtrain sweep` in a terminal
 * sends this engine no events).
 */
import type { SweepDetail } from '../../../../shared/api';
import { debounce, h, replaceChildren } from '../../dom';
import { formatNumber, formatTime } from '../../format';
import { navigate } from '../../router';
import type { View, ViewContext } from '../../view';
import { parallelCoordinates } from './parallel-coords';
import { trialTable } from './trial-table';

const POLL_MS = 3000;

export function createSweepView(ctx: ViewContext, sweepId: string): View {
  const { api } = ctx;
  const selected = new Set<string>();
  let sweep: SweepDetail | null = null;
  let poll: ReturnType<typeof setTimeout> | undefined;
  let disposed = false;
  const title = h('h1', { 'data-testid': 'sweep-name' }, 'Loading sweep…');
  const lead = h('p', { class: 'lead' });
  const summary = h('p', { class: 'sweep-summary', 'data-testid': 'sweep-summary' });
  const plotSlot = h('div', { class: 'pc-wrap' });
  const tableSlot = h('div');
  const compare = h(
    'button',
    { type: 'button', class: 'button button-primary', 'data-testid': 'compare-trials', disabled: true },
    'Compare selected',
  );
  compare.addEventListener('click', () => navigate({ view: 'compare', runIds: [...selected] }));
  const syncCompare = (): void => {
    compare.disabled = selected.size < 2;
  };

  const drawPlot = (): void => {
    if (!sweep) return;
    const width = Math.max(320, Math.floor(plotSlot.clientWidth || 800));
    replaceChildren(
      plotSlot,
      parallelCoordinates(sweep, (t) => navigate({ view: 'run', runId: t.runId! }), width),
    );
  };
  const resize = new ResizeObserver(debounce(drawPlot, 100));
  resize.observe(plotSlot);

  const render = (s: SweepDetail): void => {
    sweep = s;
    title.textContent = s.name;
    document.title = `${s.name} · dtrain`;
    lead.replaceChildren(
      h('span', { class: `badge badge-${s.status}`, 'data-testid': 'sweep-status', 'data-status': s.status }, s.status),
      ` ${s.method} · ${s.finishedCount} of ${s.trialCount} trials finished · objective ${s.objective.mode} ${s.objective.monitor}`,
      s.best ? ` · best ${formatNumber(s.best.value)}` : '',
      ` · started ${formatTime(s.createdAt)}`,
    );
    summary.textContent = s.summary;
    for (const id of [...selected]) if (!s.trials.some((t) => t.runId === id)) selected.delete(id);
    syncCompare();
    replaceChildren(tableSlot, trialTable(s, selected, syncCompare));
    drawPlot();
  };

  const load = async (): Promise<void> => {
    clearTimeout(poll);
    try {
      render(await api.getSweep(sweepId));
    } catch (err) {
      replaceChildren(
        tableSlot,
        h('p', { class: 'banner banner-error', role: 'alert' }, `Could not load sweep ${sweepId}: ${(err as Error).message}`),
      );
    }
    if (!disposed && sweep?.status === 'running') poll = setTimeout(() => void load(), POLL_MS);
  };
  const reload = debounce(() => void load(), 300);
  const stop = api.onEvent((e) => {
    if ((e.type === 'sweep' && e.sweepId === sweepId) || (e.type === 'status' && sweep?.trials.some((t) => t.runId === e.runId)))
      reload();
  });
  void load();

  return {
    element: h(
      'div',
      { class: 'view view-sweep', 'data-testid': 'view-sweep', 'data-sweep-id': sweepId },
      h(
        'div',
        { class: 'view-header' },
        h('div', null, title, lead),
        h('div', { class: 'header-actions' }, h('a', { class: 'button', href: '#/sweeps' }, 'All sweeps'), compare),
      ),
      summary,
      h(
        'section',
        { class: 'panel', 'aria-label': 'Hyperparameters against the objective' },
        h('h2', null, 'Hyperparameters against the objective'),
        plotSlot,
      ),
      h('section', { class: 'panel trials-panel', 'aria-label': 'Trials' }, h('h2', null, 'Trials, best first'), tableSlot),
    ),
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
