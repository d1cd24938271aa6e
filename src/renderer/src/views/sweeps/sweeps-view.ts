/** Every sweep, newest first: status, progress and best objective; open one to see its trials. */
import type { SweepSummary } from '../../../../shared/api';
import { debounce, h, replaceChildren } from '../../dom';
import { formatNumber, formatTime } from '../../format';
import type { View, ViewContext } from '../../view';

export function createSweepsView(ctx: ViewContext): View {
  const { api } = ctx;
  const body = h('div', { 'data-testid': 'sweeps-body' }, h('p', { class: 'muted' }, 'Loading sweeps…'));
  const row = (s: SweepSummary) =>
    h(
      'tr',
      { 'data-testid': `sweep-row-${s.id}` },
      h(
        'td',
        { class: 'cell-name' },
        h(
          'a',
          { href: `#/sweep/${encodeURIComponent(s.id)}`, class: 'run-name', title: s.name, 'data-testid': `open-sweep-${s.id}` },
          s.name,
        ),
      ),
      h('td', null, h('span', { class: `badge badge-${s.status}` }, s.status)),
      h('td', null, s.method),
      h('td', null, `${s.objective.mode} ${s.objective.monitor}`),
      h('td', { class: 'num' }, `${s.finishedCount} / ${s.trialCount}`),
      h(
        'td',
        { class: 'num' },
        s.best ? h('a', { href: `#/run/${encodeURIComponent(s.best.runId)}` }, formatNumber(s.best.value)) : '—',
      ),
      h('td', null, formatTime(s.createdAt)),
    );
  const load = async (): Promise<void> => {
    try {
      const sweeps = await api.listSweeps();
      if (sweeps.length === 0) {
        return replaceChildren(
          body,
          h(
            'div',
            { class: 'empty-state' },
            h('p', null, 'No sweeps yet.'),
            h('p', { class: 'muted' }, h('code', null, 'dtrain sweep --config BASE.json --space SPACE.json'), ' starts one.'),
          ),
        );
      }
      replaceChildren(
        body,
        h(
          'div',
          { class: 'table-wrap' },
          h(
            'table',
            { class: 'table runs-table', 'data-testid': 'sweeps-table' },
            h(
              'thead',
              null,
              h(
                'tr',
                null,
                ['Name', 'Status', 'Method', 'Objective', 'Finished', 'Best', 'Created'].map((t) =>
                  h('th', { scope: 'col', class: t === 'Finished' || t === 'Best' ? 'num' : null }, t),
                ),
              ),
            ),
            h('tbody', null, sweeps.map(row)),
          ),
        ),
      );
    } catch (err) {
      replaceChildren(
        body,
        h('p', { class: 'banner banner-error', role: 'alert' }, `Could not list sweeps: ${(err as Error).message}`),
      );
    }
  };
  const reload = debounce(() => void load(), 400);
  const stop = api.onEvent((e) => {
    if (e.type === 'sweep') reload();
  });
  void load();
  return {
    element: h(
      'div',
      { class: 'view view-sweeps', 'data-testid': 'view-sweeps' },
      h(
        'div',
        { class: 'view-header' },
        h(
          'div',
          null,
          h('h1', null, 'Sweeps'),
          h('p', { class: 'lead' }, 'Hyperparameter searches: trials are ordinary runs, ranked by the objective.'),
        ),
      ),
      body,
    ),
    title: 'Sweeps',
    dispose() {
      stop();
      reload.cancel();
    },
  };
}
