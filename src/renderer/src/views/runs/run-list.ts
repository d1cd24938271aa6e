/** The runs list's filter and sort, as pure functions of the summaries (unit-tested without a DOM). */
import type { RunStatus, RunSummary } from '../../../../shared/api';

export interface RunFilter {
  /** '' for any. */
  status: RunStatus | '';
  tag: string;
  /** Case-insensitive; matches the name, id, mesh or a tag. */
  text: string;
}

export type SortKey = 'name' | 'status' | 'progress' | 'lastLoss' | 'durationMs' | 'mesh' | 'createdAt';
export interface RunSort {
  key: SortKey;
  dir: 'asc' | 'desc';
}

export const DEFAULT_SORT: RunSort = { key: 'createdAt', dir: 'desc' };

export function filterRuns(runs: RunSummary[], f: RunFilter): RunSummary[] {
  const text = f.text.trim().toLowerCase();
  return runs.filter(
    (r) =>
      (f.status === '' || r.status === f.status) &&
      (f.tag === '' || r.tags.includes(f.tag)) &&
      (text === '' || [r.name, r.id, r.mesh, ...r.tags].some((s) => s.toLowerCase().includes(text))),
  );
}

function sortValue(r: RunSummary, key: SortKey): string | number | null {
  switch (key) {
    case 'progress':
      return r.steps > 0 ? r.step / r.steps : 0;
    case 'lastLoss':
      return r.lastLoss !== null && Number.isFinite(r.lastLoss) ? r.lastLoss : null;
    default:
      return r[key];
  }
}

/** Stable; runs without a value (no loss yet, NaN) go last in either direction. */
export function sortRuns(runs: RunSummary[], sort: RunSort): RunSummary[] {
  const sign = sort.dir === 'asc' ? 1 : -1;
  return runs
    .map((r, i) => ({ r, i, v: sortValue(r, sort.key) }))
    .sort((a, b) => {
      if (a.v === null || b.v === null) return a.v === b.v ? a.i - b.i : a.v === null ? 1 : -1;
      const c =
        typeof a.v === 'string'
          ? a.v.localeCompare(String(b.v), undefined, { numeric: true, sensitivity: 'base' })
          : a.v - (b.v as number);
      return c !== 0 ? sign * c : a.i - b.i;
    })
    .map((x) => x.r);
}

/** Every tag in use, sorted, for the tag filter. */
export function allTags(runs: RunSummary[]): string[] {
  return [...new Set(runs.flatMap((r) => r.tags))].sort((a, b) => a.localeCompare(b));
}

/** "a, b ,, c" → ['a', 'b', 'c'] (what the tag field holds). */
export function parseTagText(text: string): string[] {
  return [
    ...new Set(
      text
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean),
    ),
  ];
}
