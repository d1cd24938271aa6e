/** The config keys that differ between runs: one row per key, "—" where a run lacks it, long values wrapped. */
import type { ConfigDiff, RunDetail } from '../../../../shared/api';
import { h } from '../../dom';
import { formatValue } from '../../format';

export function renderConfigDiff(runs: RunDetail[], diffs: ConfigDiff[]): HTMLElement {
  if (diffs.length === 0) return h('p', { class: 'muted', 'data-testid': 'diff-empty' }, 'The configs are identical.');
  const cell = (d: ConfigDiff, i: number) =>
    d.missing?.[i]
      ? h('td', { class: 'diff-missing', title: 'not set in this run' }, '—')
      : h('td', null, h('code', null, formatValue(d.values[i])));
  return h(
    'div',
    { class: 'diff-wrap' },
    h(
      'table',
      { class: 'table diff-table', 'data-testid': 'diff-table' },
      h(
        'colgroup',
        null,
        h('col', { class: 'diff-key-col' }),
        runs.map(() => h('col')),
      ),
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          h('th', { scope: 'col' }, 'Config key'),
          runs.map((r) => h('th', { scope: 'col', title: r.name }, r.name)),
        ),
      ),
      h(
        'tbody',
        null,
        diffs.map((d) =>
          h(
            'tr',
            { 'data-testid': `diff-row-${d.path}` },
            h('th', { scope: 'row' }, h('code', null, d.path)),
            runs.map((_r, i) => cell(d, i)),
          ),
        ),
      ),
    ),
  );
}
