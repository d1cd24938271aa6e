/** Every variable's Adadelta figures at the newest recorded step, one row each; a click picks the charted one. */
import type { OptimizerStatsPoint } from '../../../../shared/api';
import { h } from '../../dom';
import { formatInt, formatNumber } from '../../format';
import { layerOf } from './optimizer-series';

const HEAD = ['Variable', 'Size', '‖E[g²]‖', '‖E[Δx²]‖', 'Step size (median, 10–90%)', '‖Δθ‖/‖θ‖', '‖θ‖'];

export function optimizerTable(point: OptimizerStatsPoint, selected: string, onSelect: (path: string) => void): HTMLElement {
  const rows = point.variables.map((v) => {
    const pick = h(
      'button',
      { type: 'button', class: 'link-button', 'data-testid': `opt-pick-${v.path}`, 'aria-pressed': String(v.path === selected) },
      v.path,
    );
    pick.addEventListener('click', () => onSelect(v.path));
    const [p10, , p50, , p90] = v.stepSize;
    return h(
      'tr',
      { 'data-testid': `opt-row-${v.path}`, 'data-layer': layerOf(v.path), class: v.path === selected ? 'row-selected' : null },
      h('td', null, pick),
      h('td', { class: 'num' }, formatInt(v.size)),
      h('td', { class: 'num' }, formatNumber(v.accumulatedGradNorm)),
      h('td', { class: 'num' }, formatNumber(v.accumulatedDeltaNorm)),
      h(
        'td',
        { class: 'num', 'data-testid': `opt-step-size-${v.path}` },
        `${formatNumber(p50)} (${formatNumber(p10)}–${formatNumber(p90)})`,
      ),
      h('td', { class: 'num', 'data-testid': `opt-update-ratio-${v.path}` }, formatNumber(v.updateRatio)),
      h('td', { class: 'num' }, formatNumber(v.paramNorm)),
    );
  });
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'table', 'data-testid': 'opt-table' },
      h('caption', { class: 'table-caption' }, `At step ${formatInt(point.step)}`),
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          HEAD.map((t, i) => h('th', { scope: 'col', class: i > 0 ? 'num' : null }, t)),
        ),
      ),
      h('tbody', null, rows),
    ),
  );
}
