/** The runs table: sortable headers (aria-sort), one row per run, long names truncated with the full name on hover. */
import type { RunSummary } from '../../../../shared/api';
import { h } from '../../dom';
import { formatDuration, formatInt, formatNumber, formatTime } from '../../format';
import { elsewhereBadge } from '../live/follow-elsewhere';
import { statusBadge } from '../live/run-header';
import type { RunSort, SortKey } from './run-list';

export interface RowActions {
  isSelected(id: string): boolean;
  onSelect(id: string, selected: boolean): void;
  /** The row's menu (edit, exports, duplicate, delete). */
  menu(run: RunSummary): HTMLElement;
}

const COLUMNS: { key: SortKey; label: string; num?: boolean; cls?: string }[] = [
  { key: 'name', label: 'Name', cls: 'cell-name' },
  { key: 'status', label: 'Status' },
  { key: 'progress', label: 'Steps', num: true },
  { key: 'lastLoss', label: 'Last loss', num: true },
  { key: 'durationMs', label: 'Duration', num: true },
  { key: 'mesh', label: 'Mesh', cls: 'cell-mesh' },
  { key: 'createdAt', label: 'Created', cls: 'cell-created' },
];

function header(sort: RunSort, onSort: (key: SortKey) => void): HTMLTableRowElement {
  const cells = COLUMNS.map((c) => {
    const active = sort.key === c.key;
    const button = h(
      'button',
      { type: 'button', class: 'sort-button', 'data-testid': `sort-${c.key}` },
      c.label,
      h('span', { 'aria-hidden': 'true', class: 'sort-arrow' }, active ? (sort.dir === 'asc' ? ' ▲' : ' ▼') : ''),
    );
    button.addEventListener('click', () => onSort(c.key));
    return h(
      'th',
      {
        scope: 'col',
        class: [c.num ? 'num' : '', c.cls ?? ''].join(' ').trim() || null,
        'aria-sort': active ? (sort.dir === 'asc' ? 'ascending' : 'descending') : null,
      },
      button,
    );
  });
  return h(
    'tr',
    null,
    h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'Select')),
    cells,
    h('th', { scope: 'col', class: 'cell-actions' }, h('span', { class: 'sr-only' }, 'Actions')),
  );
}

function row(r: RunSummary, a: RowActions): HTMLTableRowElement {
  const box = h('input', {
    type: 'checkbox',
    checked: a.isSelected(r.id),
    'aria-label': `Select ${r.name} for comparison`,
    'data-testid': `select-run-${r.id}`,
  });
  box.addEventListener('change', () => a.onSelect(r.id, box.checked));
  return h(
    'tr',
    { 'data-testid': `run-row-${r.id}`, 'data-run-name': r.name },
    h('td', null, box),
    h(
      'td',
      { class: 'cell-name' },
      h(
        'a',
        { href: `#/run/${encodeURIComponent(r.id)}`, class: 'run-name', title: r.name, 'data-testid': `open-run-${r.id}` },
        r.name,
      ),
      r.tags.length > 0 &&
        h(
          'span',
          { class: 'tag-list', 'data-testid': `run-tags-${r.id}` },
          r.tags.map((t) => h('span', { class: 'tag', title: t }, t)),
        ),
    ),
    h('td', null, statusBadge(r.status, `run-status-${r.id}`), elsewhereBadge(r, `run-elsewhere-${r.id}`)),
    h('td', { class: 'num' }, `${formatInt(r.step)} / ${formatInt(r.steps)}`),
    h('td', { class: 'num', 'data-testid': `run-loss-${r.id}` }, formatNumber(r.lastLoss)),
    h('td', { class: 'num', 'data-testid': `run-duration-${r.id}` }, formatDuration(r.durationMs)),
    h('td', { class: 'cell-mesh' }, h('code', null, r.mesh)),
    h('td', { class: 'cell-created' }, formatTime(r.createdAt)),
    h('td', { class: 'cell-actions' }, a.menu(r)),
  );
}

export function runsTable(runs: RunSummary[], sort: RunSort, onSort: (key: SortKey) => void, actions: RowActions): HTMLElement {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'table runs-table', 'data-testid': 'runs-table' },
      h('caption', { class: 'sr-only' }, 'Runs; the column headers sort'),
      h('thead', null, header(sort, onSort)),
      h(
        'tbody',
        null,
        runs.map((r) => row(r, actions)),
      ),
    ),
  );
}
