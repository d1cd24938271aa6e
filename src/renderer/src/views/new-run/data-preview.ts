/**
 * What the chosen data source holds, asked of the engine whenever the source changes (debounced):
 * examples, one example's shape, and the classes with their counts. The shape goes to `onShape`,
 * which sets the model's input from it.
 */
import type { DataSource, DataSourceSummary, RendererApi } from '../../../../shared/api';
import { debounce, h, replaceChildren } from '../../dom';
import { formatInt } from '../../format';

export interface DataPreview {
  element: HTMLElement;
  /** The source changed (null: the fields do not describe one yet). */
  update(source: DataSource | null): void;
  dispose(): void;
}

const MAX_CLASSES_SHOWN = 12;

function describe(s: DataSourceSummary): HTMLElement[] {
  const what = s.unit === 'images' ? 'images' : 'rows';
  const lines: HTMLElement[] = [
    h(
      'p',
      { 'data-testid': 'data-preview-size' },
      `${formatInt(s.examples)} ${what} · each [${s.featureShape.join(', ')}] · ${s.task}`,
    ),
  ];
  if (s.classes) {
    const shown = s.classes.slice(0, MAX_CLASSES_SHOWN);
    lines.push(
      h(
        'ul',
        { class: 'class-counts', 'data-testid': 'data-preview-classes', 'aria-label': `${s.classes.length} classes` },
        shown.map((c) =>
          h(
            'li',
            null,
            h('span', { class: 'class-name', title: c.name }, c.name),
            ' ',
            h('span', { class: 'muted' }, formatInt(c.count)),
          ),
        ),
        s.classes.length > shown.length ? h('li', { class: 'muted' }, `… ${s.classes.length - shown.length} more`) : null,
      ),
    );
  } else if (s.targetDim !== undefined)
    lines.push(h('p', { class: 'muted' }, `${s.targetDim} target value${s.targetDim === 1 ? '' : 's'} per example`));
  return lines;
}

export function createDataPreview(api: RendererApi, onShape: (shape: number[]) => void): DataPreview {
  const body = h('div', { class: 'data-preview', 'data-testid': 'data-preview', 'aria-live': 'polite' });
  let asked = 0;
  let lastKey = '';
  const ask = debounce(async (source: DataSource) => {
    const id = ++asked;
    body.dataset.state = 'loading';
    replaceChildren(body, h('p', { class: 'muted' }, 'Reading the data source…'));
    try {
      const summary = await api.describeDataSource(source);
      if (id !== asked) return; // a newer source was chosen meanwhile
      body.dataset.state = 'ready';
      replaceChildren(body, describe(summary));
      onShape(summary.featureShape);
    } catch (err) {
      if (id !== asked) return;
      body.dataset.state = 'error';
      replaceChildren(body, h('p', { class: 'field-error', 'data-testid': 'data-preview-error' }, (err as Error).message));
    }
  }, 350);
  return {
    element: body,
    update(source) {
      const key = JSON.stringify(source);
      if (key === lastKey) return;
      lastKey = key;
      if (source) void ask(source);
      else {
        ask.cancel();
        asked++;
        body.dataset.state = 'empty';
        replaceChildren(body);
      }
    },
    dispose: () => ask.cancel(),
  };
}
