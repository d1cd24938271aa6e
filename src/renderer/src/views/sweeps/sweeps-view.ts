/** Every sweep, newest first: status, progress and best objective; open one to see its trials. */
import type { SweepSummary } from '../../../../shared/api';
import { debounce, h, replaceChildren } from '../../dom';
import { formatNumber, formatTime } from '../../format';
import type { View, ViewContext } from '../../view';

const HEAD = ['Name', 'Status', 'Method', 'Objective', 'Finished', 'Best', 'Created'];

function row(s: SweepSummary): HTMLTableRowElement {
  const open = h(
    'a',
    { href: `#/sweep/${encodeURIComponent(s.id)}`, class: 'run-name', title: s.name, 'data-testid': `open-sweep-${s.id}` },
    s.name,
  );
  const best = s.best ? h('a', { href: `#/run/${encodeURIComponent(s.best.runId)}` }, formatNumber(s.best.value)) : '—';
  return h(
    'tr',
    { 'data-testid': `sweep-row-${s.id}` },
    h('td', { class: 'cell-name' }, open),
    h('td', null, h('span', { class: `badge badge-${s.status}` }, s.status)),
    h('td', null, s.method),
    h('td', null, `${s.objective.mode} ${s.objective.monitor}`),
    h('td', { class: 'num' }, `${s.finishedCount} / ${s.trialCount}`),
    h('td', { class: 'num' }, best),
    h('td', null, formatTime(s.createdAt)),
  );
}

function sweepsTable(sweeps: SweepSummary[]): HTMLElement {
  const head = HEAD.map((t) => h('th', { scope: 'col', class: t === 'Finished' || t === 'Best' ? 'num' : null }, t));
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'table sweeps-table', 'data-testid': 'sweeps-table' },
      h('thead', null, h('tr', null, head)),
      h('tbody', null, sweeps.map(row)),
    ),
  );
}

const noSweeps = () =>
  h(
    'div',
    { class: 'empty-state' },
    h('p', null, 'No sweeps yet.'),
    h('p', { class: 'muted' }, h('code', null, 'dtrain sweep --config BASE.json --space SPACE.json'), ' starts one.'),
  );

export function createSweepsView(ctx: ViewContext): View {
  const { api } = ctx;
  const body = h('div', { 'data-testid': 'sweeps-body' }, h('p', { class: 'muted' }, 'Loading sweeps…'));
  const load = async (): Promise<void> => {
    try {
      const sweeps = await api.listSweeps();
      replaceChildren(body, sweeps.length === 0 ? noSweeps() : sweepsTable(sweeps));
    } catch (err) {
      replaceChildren(
        body,
        h('p', { class: 'banner banner-error', role: 'alert' }, `Could not list sweeps: ${(err as Error).message}`),
      );
    }
  };
  const reload = debounce(() => void load(), 400);
  const stop = api.onEvent((e) => e.type === 'sweep' && reload());
  void load();
  const lead = h('p', { class: 'lead' }, 'Hyperparameter searches: trials are ordinary runs, ranked by the objective.');
  return {
    element: h(
      'div',
      { class: 'view view-sweeps', 'data-testid': 'view-sweeps' },
      h('div', { class: 'view-header' }, h('div', null, h('h1', null, 'Sweeps'), lead)),
      body,
    ),
    title: 'Sweeps',
    dispose() {
      stop();
      reload.cancel();
    },
  };
}
