/**
 * A run's checkpoints: step, time, size, which is the best (early stopping) or holds the restored best
 * weights, and from each one: evaluate it on the held-out data, export it as a folder or a .keras file.
 */
import type { CheckpointEvaluation, CheckpointInfo, RendererApi } from '../../../../shared/api';
import { h, replaceChildren } from '../../dom';
import { formatBytes, formatInt, formatNumber, formatTime } from '../../format';
import { downloadKerasArchive, exportRunFolder } from '../../run-actions';

export interface CheckpointPanel {
  element: HTMLElement;
  show(checkpoints: CheckpointInfo[], runName: string): void;
}

function evaluationText(e: CheckpointEvaluation): string {
  const metrics = Object.entries(e.metrics).map(([k, v]) => ` · ${k} ${formatNumber(v)}`);
  return `Step ${formatInt(e.step)} on the ${e.data} data (${formatInt(e.count)} examples): loss ${formatNumber(e.loss)}${metrics.join('')}`;
}

function badges(c: CheckpointInfo): HTMLElement[] {
  const out: HTMLElement[] = [];
  if (c.best) out.push(h('span', { class: 'badge badge-best', 'data-testid': `checkpoint-best-${c.step}` }, 'best'));
  if (c.restoredBestFrom !== undefined)
    out.push(
      h(
        'span',
        { class: 'badge', title: 'holds the best evaluation’s weights' },
        `best of step ${formatInt(c.restoredBestFrom)}`,
      ),
    );
  return out;
}

export function createCheckpointPanel(api: RendererApi, runId: string): CheckpointPanel {
  const body = h('div');
  const result = h('p', { class: 'field-hint', 'data-testid': 'checkpoint-evaluation', 'aria-live': 'polite' });
  const evaluate = async (step: number, b: HTMLButtonElement): Promise<void> => {
    b.disabled = true;
    result.textContent = `Evaluating the checkpoint at step ${formatInt(step)}…`;
    try {
      result.textContent = evaluationText(await api.evaluateCheckpoint(runId, step));
    } catch (err) {
      result.textContent = `Could not evaluate: ${(err as Error).message}`;
    } finally {
      b.disabled = false;
    }
  };
  const action = (label: string, testid: string, run: (b: HTMLButtonElement) => void): HTMLButtonElement => {
    const b = h('button', { type: 'button', class: 'button button-small', 'data-testid': testid }, label);
    b.addEventListener('click', () => run(b));
    return b;
  };
  const row = (c: CheckpointInfo, name: string) =>
    h(
      'tr',
      { 'data-testid': `checkpoint-row-${c.id}`, 'data-step': c.step },
      h('td', { class: 'num' }, formatInt(c.step), ' ', badges(c)),
      h('td', null, formatTime(c.createdAt)),
      h('td', { class: 'num' }, formatBytes(c.bytes)),
      h(
        'td',
        null,
        h(
          'div',
          { class: 'actions' },
          action('Evaluate', `checkpoint-evaluate-${c.step}`, (b) => void evaluate(c.step, b)),
          action('Export', `checkpoint-export-${c.step}`, () => void exportRunFolder(api, runId, name, c.step)),
          action('.keras', `checkpoint-keras-${c.step}`, () => void downloadKerasArchive(api, runId, name, c.step)),
        ),
      ),
    );
  return {
    element: h('div', null, body, result),
    show(checkpoints, name) {
      if (checkpoints.length === 0)
        return replaceChildren(body, h('p', { class: 'muted', 'data-testid': 'checkpoint-table-empty' }, 'No checkpoints yet.'));
      const rows = [...checkpoints].sort((a, b) => b.step - a.step).map((c) => row(c, name));
      const head = ['Step', 'Saved', 'Size', 'From here'].map((t, i) =>
        h('th', { scope: 'col', class: i === 0 || i === 2 ? 'num' : null }, t),
      );
      replaceChildren(
        body,
        h(
          'div',
          { class: 'table-wrap' },
          h(
            'table',
            { class: 'table', 'data-testid': 'checkpoint-table' },
            h('thead', null, h('tr', null, head)),
            h('tbody', null, rows),
          ),
        ),
      );
    },
  };
}
