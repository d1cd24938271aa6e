/**
 * Run history: filter, sort, open, edit (name, tags, notes), delete, duplicate or export any run;
 * tick two or more to compare. The list refreshes itself when a run changes status.
 */
import type { RendererApi, RunSummary } from '../../../../shared/api';
import { debounce, h, replaceChildren } from '../../dom';
import { openRowMenu } from '../../row-menu';
import { plural } from '../../format';
import { navigate } from '../../router';
import type { View, ViewContext } from '../../view';
import { createFilterBar, type FilterBar } from './filter-bar';
import { DEFAULT_SORT, filterRuns, sortRuns, type RunSort, type SortKey } from './run-list';
import { runRowMenu } from './run-row-menu';
import { runsTable } from './runs-table';

const emptyList = () =>
  h(
    'div',
    { class: 'empty-state' },
    h('p', null, 'No runs yet.'),
    h('a', { class: 'button button-primary', href: '#/new' }, 'Start a run'),
  );

/** The table, sorted and filtered, with the selection that compare reads. */
function createRunsList(api: RendererApi, reload: () => void) {
  const selected = new Set<string>();
  let runs: RunSummary[] = [];
  let sort: RunSort = DEFAULT_SORT;
  const body = h('div', { 'data-testid': 'runs-body' }, h('p', { class: 'muted' }, 'Loading runs…'));
  const count = h('span', { class: 'muted', 'data-testid': 'runs-count', 'aria-live': 'polite' });
  const compare = h(
    'button',
    { type: 'button', class: 'button button-primary', 'data-testid': 'compare-runs', disabled: true },
    'Compare selected',
  );
  const hint = h('span', { class: 'muted', 'aria-live': 'polite' }, 'Select two or more runs to compare.');
  const syncCompare = (): void => {
    compare.disabled = selected.size < 2;
    hint.textContent = selected.size < 2 ? 'Select two or more runs to compare.' : `${plural(selected.size, 'run')} selected.`;
  };
  compare.addEventListener('click', () => navigate({ view: 'compare', runIds: [...selected] }));
  const actions = {
    isSelected: (id: string) => selected.has(id),
    onSelect: (id: string, on: boolean) => (on ? selected.add(id) : selected.delete(id), syncCompare()),
    menu: (r: RunSummary) => runRowMenu(api, r, reload),
  };
  const onSort = (key: SortKey): void => {
    // A new column sorts ascending (lowest loss first); a second click reverses it.
    sort = { key, dir: sort.key === key && sort.dir === 'asc' ? 'desc' : 'asc' };
    render(filters);
  };
  let deferred = false;
  const render = (f: FilterBar): void => {
    // New rows would take an open menu with them, from under the user's pointer: wait until it closes.
    const menu = openRowMenu(body);
    if (menu) {
      if (!deferred) menu.addEventListener('toggle', () => ((deferred = false), render(filters)), { once: true });
      deferred = true;
      return;
    }
    for (const id of [...selected]) if (!runs.some((r) => r.id === id)) selected.delete(id);
    syncCompare();
    if (runs.length === 0) return ((count.textContent = ''), replaceChildren(body, emptyList()));
    const shown = sortRuns(filterRuns(runs, f.value()), sort);
    count.textContent =
      shown.length === runs.length ? plural(runs.length, 'run') : `${shown.length} of ${plural(runs.length, 'run')}`;
    if (shown.length === 0)
      return replaceChildren(
        body,
        h('p', { class: 'muted empty-state', 'data-testid': 'runs-none-match' }, 'No run matches the filters.'),
      );
    replaceChildren(body, runsTable(shown, sort, onSort, actions));
  };
  const filters = createFilterBar(() => render(filters));
  return {
    body,
    count,
    filters,
    tools: [hint, compare],
    set(next: RunSummary[]) {
      runs = next;
      filters.setRuns(runs);
      render(filters);
    },
  };
}

export function createRunsView(ctx: ViewContext): View {
  const { api } = ctx;
  const list = createRunsList(api, () => void load());
  const refreshButton = h('button', { type: 'button', class: 'button', 'data-testid': 'refresh-runs' }, 'Refresh');
  // Runs trained by another process send no events: poll while any is listed.
  let poll: ReturnType<typeof setTimeout> | undefined;
  let disposed = false;
  const load = async (): Promise<void> => {
    clearTimeout(poll);
    try {
      const runs = await api.listRuns();
      list.set(runs);
      if (!disposed && runs.some((r) => r.elsewhere)) poll = setTimeout(() => void load(), 3000);
    } catch (err) {
      replaceChildren(
        list.body,
        h('p', { class: 'banner banner-error', role: 'alert' }, `Could not list runs: ${(err as Error).message}`),
      );
    }
  };
  const reload = debounce(() => void load(), 400);
  refreshButton.addEventListener('click', () => void load());
  // Status changes and checkpoints move steps and losses: refresh, but not on every metrics batch.
  const stop = api.onEvent((e) => (e.type === 'status' || e.type === 'checkpoint') && reload());
  void load();
  const lead = h('p', { class: 'lead' }, 'Every run is kept with its config, checkpoints and metric history.');
  return {
    element: h(
      'div',
      { class: 'view view-runs', 'data-testid': 'view-runs' },
      h(
        'div',
        { class: 'view-header' },
        h('div', null, h('h1', null, 'Runs'), lead),
        h('div', { class: 'header-actions' }, list.tools[0], refreshButton, list.tools[1]),
      ),
      h('div', { class: 'runs-toolbar' }, list.filters.element, list.count),
      list.body,
    ),
    title: 'Runs',
    dispose() {
      stop();
      reload.cancel();
      clearTimeout(poll);
      disposed = true;
    },
  };
}
