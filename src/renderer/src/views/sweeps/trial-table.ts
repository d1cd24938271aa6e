/** A sweep's trials ranked by the objective (best first and highlighted); tick rows to compare their runs. */
import type { SweepDetail, SweepTrial } from '../../../../shared/api';
import { h } from '../../dom';
import { formatNumber, formatValue } from '../../format';

export function trialTable(sweep: SweepDetail, selected: Set<string>, onSelect: () => void): HTMLElement {
  const keys = [...new Set([...Object.keys(sweep.space), ...sweep.trials.flatMap((t) => Object.keys(t.settings))])];
  const bestRun = sweep.best?.runId;
  const row = (t: SweepTrial, rank: number): HTMLTableRowElement => {
    const best = t.runId !== null && t.runId === bestRun;
    const box = t.runId
      ? h('input', {
          type: 'checkbox',
          checked: selected.has(t.runId),
          'aria-label': `Select trial ${t.index} to compare`,
          'data-testid': `select-trial-${t.index}`,
        })
      : null;
    box?.addEventListener('change', () => {
      if (box.checked) selected.add(t.runId!);
      else selected.delete(t.runId!);
      onSelect();
    });
    return h(
      'tr',
      {
        class: best ? 'trial-best' : null,
        'data-testid': `trial-row-${t.index}`,
        'data-best': best ? 'true' : null,
        'data-rank': rank,
      },
      h('td', null, box),
      h('td', { class: 'num' }, t.objective === null ? '—' : String(rank)),
      h(
        'td',
        null,
        t.runId
          ? h('a', { href: `#/run/${encodeURIComponent(t.runId)}`, 'data-testid': `open-trial-${t.index}` }, `#${t.index}`)
          : `#${t.index}`,
        best ? h('span', { class: 'badge badge-best' }, 'best') : null,
      ),
      h('td', null, h('span', { class: `badge badge-${t.status}` }, t.status)),
      h('td', { class: 'num', 'data-testid': `trial-objective-${t.index}` }, formatNumber(t.objective)),
      keys.map((k) => h('td', { class: 'num' }, h('code', null, t.settings[k] === undefined ? '—' : formatValue(t.settings[k])))),
      h('td', { class: 'num' }, String(t.rung)),
    );
  };
  let rank = 0;
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'table trial-table', 'data-testid': 'trial-table' },
      h('caption', { class: 'sr-only' }, `Trials ranked by ${sweep.objective.monitor}, best first`),
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'Select')),
          h('th', { scope: 'col', class: 'num' }, 'Rank'),
          h('th', { scope: 'col' }, 'Trial'),
          h('th', { scope: 'col' }, 'Status'),
          h('th', { scope: 'col', class: 'num' }, `${sweep.objective.monitor} (${sweep.objective.mode})`),
          keys.map((k) => h('th', { scope: 'col', class: 'num', title: k }, k.replace(/^optimizer\./, ''))),
          h('th', { scope: 'col', class: 'num' }, 'Rung'),
        ),
      ),
      h(
        'tbody',
        null,
        sweep.trials.map((t) => row(t, t.objective === null ? 0 : ++rank)),
      ),
    ),
  );
}
