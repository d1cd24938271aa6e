/** The runs list's filters: status, tag and free text. Calls `onChange` with the whole filter. */
import type { RunStatus, RunSummary } from '../../../../shared/api';
import { h, replaceChildren } from '../../dom';
import { allTags, type RunFilter } from './run-list';

export interface FilterBar {
  element: HTMLElement;
  value(): RunFilter;
  /** Offers the statuses and tags present in `runs`. */
  setRuns(runs: RunSummary[]): void;
}

function options(select: HTMLSelectElement, anyLabel: string, values: string[]): void {
  const current = select.value;
  replaceChildren(
    select,
    h('option', { value: '' }, anyLabel),
    values.map((v) => h('option', { value: v }, v)),
  );
  // A value no run has any more (its last run deleted) falls back to "any".
  select.value = values.includes(current) ? current : '';
}

export function createFilterBar(onChange: (f: RunFilter) => void): FilterBar {
  const status = h('select', { 'data-testid': 'filter-status', 'aria-label': 'Filter by status' });
  const tag = h('select', { 'data-testid': 'filter-tag', 'aria-label': 'Filter by tag' });
  const text = h('input', {
    type: 'search',
    placeholder: 'Filter by name, id, mesh or tag',
    'data-testid': 'filter-text',
    'aria-label': 'Filter by text',
  });
  const value = (): RunFilter => ({ status: status.value as RunStatus | '', tag: tag.value, text: text.value });
  for (const el of [status, tag]) el.addEventListener('change', () => onChange(value()));
  text.addEventListener('input', () => onChange(value()));
  options(status, 'Any status', []);
  options(tag, 'Any tag', []);
  return {
    element: h('div', { class: 'filter-bar', role: 'search' }, text, status, tag),
    value,
    setRuns(runs) {
      options(status, 'Any status', [...new Set(runs.map((r) => r.status))].sort());
      options(tag, 'Any tag', allTags(runs));
    },
  };
}
