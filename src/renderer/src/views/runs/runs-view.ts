/**
 * Run history: filter, sort, open, edit (name, tags, notes), delete, duplicate or export any run;
 * tick two or more to compare. The list refreshes itself when a run changes status.
 */
import type { RunSummary } from '../../../../shared/api';
import { debounce, h, replaceChildren } from '../../dom';
import { navigate } from '../../router';
import { downloadKerasArchive, exportCsv, exportRunFolder } from '../../run-actions';
import { toast } from '../../toast';
import type { View, ViewContext } from '../../view';
import { createFilterBar } from './filter-bar';
import { openDeleteDialog, openEditDialog } from './run-dialogs';
import { DEFAULT_SORT, filterRuns, sortRuns, type RunSort, type SortKey } from './run-list';
import { runsTable } from './runs-table';

export function createRunsView(ctx: ViewContext): View {
  const { api } = ctx;
  const selected = new Set<string>();
  let runs: RunSummary[] = [];
  let sort: RunSort = DEFAULT_SORT;
  const body = h('div', { 'data-testid': 'runs-body' }, h('p', { class: 'muted' }, 'Loading runs…'));
  const compare = h(
    'button',
    { type: 'button', class: 'button button-primary', 'data-testid': 'compare-runs', disabled: true },
    'Compare selected',
  );
  const refreshButton = h('button', { type: 'button', class: 'button', 'data-testid': 'refresh-runs' }, 'Refresh');
  const hint = h('span', { class: 'muted', 'aria-live': 'polite' }, 'Select two or more runs to compare.');
  const count = h('span', { class: 'muted', 'data-testid': 'runs-count', 'aria-live': 'polite' });

  const syncCompare = (): void => {
    compare.disabled = selected.size < 2;
    hint.textContent = selected.size < 2 ? 'Select two or more runs to compare.' : `${selected.size} runs selected.`;
  };
  compare.addEventListener('click', () => navigate({ view: 'compare', runIds: [...selected] }));

  const actions = {
    isSelected: (id: string) => selected.has(id),
    onSelect(id: string, on: boolean) {
      if (on) selected.add(id);
      else selected.delete(id);
      syncCompare();
    },
    onEdit: (r: RunSummary) => void openEditDialog(api, r, () => void load()).catch((err: Error) => toast(err.message, 'error')),
    onDelete: (r: RunSummary) =>
      openDeleteDialog(api, r, () => {
        toast(`Deleted ${r.name}.`);
        void load();
      }),
    extra: (r: RunSummary) => {
      const b = (label: string, testid: string, run: () => void) => {
        const el = h(
          'button',
          {
            type: 'button',
            class: 'button button-small',
            'data-testid': `${testid}-${r.id}`,
            'aria-label': `${label} ${r.name}`,
          },
          label,
        );
        el.addEventListener('click', run);
        return el;
      };
      return [
        b('CSV', 'run-csv', () => void exportCsv(api, r.id, r.name)),
        b('Export', 'run-export', () => void exportRunFolder(api, r.id, r.name)),
        b('.keras', 'run-keras', () => void downloadKerasArchive(api, r.id, r.name)),
        h(
          'a',
          { class: 'button button-small', href: `#/new/${encodeURIComponent(r.id)}`, 'aria-label': `Duplicate ${r.name}` },
          'Duplicate',
        ),
      ];
    },
  };

  const onSort = (key: SortKey): void => {
    // A new column sorts ascending (lowest loss first); a second click reverses it.
    sort = { key, dir: sort.key === key && sort.dir === 'asc' ? 'desc' : 'asc' };
    render();
  };

  const render = (): void => {
    for (const id of [...selected]) if (!runs.some((r) => r.id === id)) selected.delete(id);
    syncCompare();
    if (runs.length === 0) {
      count.textContent = '';
      return replaceChildren(
        body,
        h(
          'div',
          { class: 'empty-state' },
          h('p', null, 'No runs yet.'),
          h('a', { class: 'button button-primary', href: '#/new' }, 'Start a run'),
        ),
      );
    }
    const shown = sortRuns(filterRuns(runs, filters.value()), sort);
    count.textContent = shown.length === runs.length ? `${runs.length} runs` : `${shown.length} of ${runs.length} runs`;
    if (shown.length === 0)
      return replaceChildren(
        body,
        h('p', { class: 'muted empty-state', 'data-testid': 'runs-none-match' }, 'No run matches the filters.'),
      );
    replaceChildren(body, runsTable(shown, sort, onSort, actions));
  };
  const filters = createFilterBar(() => render());

  // Runs trained by another process send no events: poll while any is listed.
  let poll: ReturnType<typeof setTimeout> | undefined;
  let disposed = false;
  const load = async (): Promise<void> => {
    clearTimeout(poll);
    try {
      runs = await api.listRuns();
      filters.setRuns(runs);
      render();
      if (!disposed && runs.some((r) => r.elsewhere)) poll = setTimeout(() => void load(), 3000);
    } catch (err) {
      replaceChildren(
        body,
        h('p', { class: 'banner banner-error', role: 'alert' }, `Could not list runs: ${(err as Error).message}`),
      );
    }
  };
  const reload = debounce(() => void load(), 400);
  refreshButton.addEventListener('click', () => void load());
  // Status changes and checkpoints move steps and losses: refresh, but not on every metrics batch.
  const stop = api.onEvent((e) => {
    if (e.type === 'status' || e.type === 'checkpoint') reload();
  });
  void load();

  return {
    element: h(
      'div',
      { class: 'view view-runs', 'data-testid': 'view-runs' },
      h(
        'div',
        { class: 'view-header' },
        h(
          'div',
          null,
          h('h1', null, 'Runs'),
          h('p', { class: 'lead' }, 'Every run is kept with its config, checkpoints and metric history.'),
        ),
        h('div', { class: 'header-actions' }, hint, refreshButton, compare),
      ),
      h('div', { class: 'runs-toolbar' }, filters.element, count),
      body,
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
