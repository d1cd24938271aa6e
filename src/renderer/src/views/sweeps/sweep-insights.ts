/**
 * What a sweep says about its hyperparameters: which mattered most (rank correlation with the
 * objective, or the correlation ratio for categories), and the objective against each one.
 */
import type { SweepDetail, SweepTrial } from '../../../../shared/api';
import { h } from '../../dom';
import { formatNumber } from '../../format';
import { hyperparameterImportance, type Importance } from './importance';
import { objectiveColors } from './objective-colors';
import { objectiveScatter } from './objective-scatter';
import { sweepKeys } from './parallel-coords';

function importanceRow(i: Importance, top: number): HTMLElement {
  const share = i.score === null || top <= 0 ? 0 : i.score / top;
  const how =
    i.kind === 'spearman'
      ? `|Spearman ρ|${i.sign === -1 ? ' (larger → lower objective)' : i.sign === 1 ? ' (larger → higher objective)' : ''}`
      : 'correlation ratio η';
  return h(
    'li',
    { 'data-testid': `importance-${i.key}`, 'data-score': i.score === null ? '' : String(i.score) },
    h('span', { class: 'importance-key', title: i.key }, i.key.replace(/^optimizer\./, '')),
    h('span', { class: 'importance-bar', 'aria-hidden': 'true' }, h('span', { style: `width: ${(share * 100).toFixed(1)}%` })),
    h('span', { class: 'importance-value' }, i.score === null ? 'too few trials' : formatNumber(i.score, 2)),
    h('span', { class: 'muted importance-how' }, how),
  );
}

export function sweepInsights(sweep: SweepDetail, onOpen: (t: SweepTrial) => void): HTMLElement {
  const keys = sweepKeys(sweep);
  const ranked = hyperparameterImportance(keys, sweep.trials);
  const top = Math.max(0, ...ranked.map((r) => r.score ?? 0));
  const color = objectiveColors(
    sweep.trials.map((t) => t.objective),
    sweep.objective.mode,
  );
  return h(
    'div',
    { class: 'sweep-insights' },
    h(
      'section',
      { class: 'panel', 'aria-label': 'Which hyperparameter mattered most' },
      h('h2', null, 'Which hyperparameter mattered most'),
      h(
        'ol',
        { class: 'importance-list', 'data-testid': 'importance' },
        ranked.map((r) => importanceRow(r, top)),
      ),
    ),
    h(
      'section',
      { class: 'panel', 'aria-label': `${sweep.objective.monitor} against each hyperparameter` },
      h('h2', null, `${sweep.objective.monitor} against each hyperparameter`),
      h(
        'div',
        { class: 'scatter-grid' },
        keys.map((k) => objectiveScatter(sweep, k, color, onOpen)),
      ),
    ),
  );
}
