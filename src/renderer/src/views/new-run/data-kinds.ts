/**
 * The fields of each file data source a run can read (docs/run-config.md): a CSV table, a NumPy
 * .npz or a pair of .npy files, and a folder of images with one subfolder per class. Each reads its
 * source from its fields (null with the problems recorded) and fills its fields from a source.
 */
import type { DataSource } from '../../../../shared/api';
import { h } from '../../dom';
import { type Control, type FieldRegistry, input, select } from './fields';
import type { IssueCollector } from './read';

export type FileKind = 'csv' | 'npz' | 'npy' | 'images';

export interface KindPanel {
  kind: FileKind;
  label: string;
  element: HTMLElement;
  controls: Control[];
  read(c: IssueCollector): Record<string, unknown> | null;
  fill(source: Record<string, unknown>): void;
}

const text = (v: unknown): string => (v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));

/**
 * An npz key or .npy file, or one per model input/output written as JSON (`{"numeric": "numeric", …}`,
 * docs/run-config.md): the object form is read back as an object, not as text.
 */
function arrayRef(v: string): string | Record<string, string> {
  if (!v.startsWith('{')) return v;
  try {
    const parsed = JSON.parse(v) as unknown;
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, string>) : v;
  } catch {
    return v; // the run's check names what is wrong with it
  }
}
const TASKS = [
  { value: '', label: 'From the labels (integer y: classes)' },
  { value: 'classification', label: 'Classification' },
  { value: 'regression', label: 'Regression' },
];

function required(c: IssueCollector, path: string, el: HTMLInputElement, what: string): string | null {
  const v = el.value.trim();
  if (v === '') c.add(path, `Enter ${what}.`);
  return v || null;
}

function csvPanel(fields: FieldRegistry): KindPanel {
  const path = input({ placeholder: '/path/to/data.csv' });
  const labelColumn = input({ placeholder: 'last column' });
  const normalize = select(
    [
      { value: 'none', label: 'None' },
      { value: 'zscore', label: 'Z-score (mean 0, std 1)' },
      { value: 'minmax', label: 'Min–max to [0, 1]' },
    ],
    'zscore',
  );
  const element = h(
    'div',
    { class: 'subfields' },
    fields.row('data.path', 'CSV path', path, 'A file readable by the trainer process; the first row may be a header.'),
    h(
      'div',
      { class: 'grid-2' },
      fields.row('data.labelColumn', 'Label column', labelColumn, 'Header name or 0-based index; empty = last column.'),
      fields.row('data.normalize', 'Normalize features', normalize),
    ),
  );
  return {
    kind: 'csv',
    label: 'CSV file',
    element,
    controls: [path, labelColumn, normalize],
    read(c) {
      const file = required(c, 'data.path', path, 'the path of a CSV file');
      const label = labelColumn.value.trim();
      const column = label === '' ? undefined : /^\d+$/.test(label) ? Number(label) : label;
      return file ? { kind: 'csv', path: file, labelColumn: column, normalize: normalize.value } : null;
    },
    fill(s) {
      path.value = text(s.path);
      labelColumn.value = text(s.labelColumn);
      normalize.value = typeof s.normalize === 'string' ? s.normalize : 'zscore';
    },
  };
}

function numpyPanel(fields: FieldRegistry, kind: 'npz' | 'npy'): KindPanel {
  const path = input({ placeholder: '/path/to/data.npz', testid: 'field-data-npz-path' });
  const x = input({ placeholder: kind === 'npz' ? 'x' : '/path/to/x.npy', testid: `field-data-${kind}-x` });
  const y = input({ placeholder: kind === 'npz' ? 'y' : '/path/to/y.npy', testid: `field-data-${kind}-y` });
  const task = select(TASKS, '', `field-data-${kind}-task`);
  const rows =
    kind === 'npz'
      ? [
          fields.row('data.path', '.npz file', path, 'numpy.savez or savez_compressed; rows are the first axis.'),
          h(
            'div',
            { class: 'grid-2' },
            fields.row('data.x', 'Features key', x, 'Default x; several inputs: {"<input>": key, …}.'),
            fields.row('data.y', 'Labels key', y, 'Default y; several outputs: {"<output>": key, …}.'),
          ),
        ]
      : [fields.row('data.x', 'Features (.npy)', x), fields.row('data.y', 'Labels or targets (.npy)', y)];
  return {
    kind,
    label: kind === 'npz' ? 'NumPy .npz' : 'NumPy .npy pair',
    element: h('div', { class: 'subfields' }, rows, fields.row('data.task', 'Task', task)),
    controls: kind === 'npz' ? [path, x, y, task] : [x, y, task],
    read(c) {
      const taskValue = task.value || undefined;
      if (kind === 'npy') {
        const [fx, fy] = [required(c, 'data.x', x, 'the features .npy file'), required(c, 'data.y', y, 'the labels .npy file')];
        return fx && fy ? { kind, x: arrayRef(fx), y: arrayRef(fy), task: taskValue } : null;
      }
      const file = required(c, 'data.path', path, 'the path of an .npz file');
      const [xs, ys] = [x.value.trim(), y.value.trim()];
      return file
        ? { kind, path: file, x: xs ? arrayRef(xs) : undefined, y: ys ? arrayRef(ys) : undefined, task: taskValue }
        : null;
    },
    fill(s) {
      path.value = text(s.path);
      x.value = text(s.x);
      y.value = text(s.y);
      task.value = typeof s.task === 'string' ? s.task : '';
    },
  };
}

function imagesPanel(fields: FieldRegistry): KindPanel {
  const path = input({ placeholder: '/path/to/images', testid: 'field-data-images-path' });
  const height = input({ value: 32, inputmode: 'numeric', testid: 'field-data-size-h' });
  const width = input({ value: 32, inputmode: 'numeric', testid: 'field-data-size-w' });
  const channels = select(
    [
      { value: '3', label: '3 (RGB)' },
      { value: '1', label: '1 (grey)' },
    ],
    '3',
  );
  const rescale = input({ placeholder: '1 (e.g. 0.00392156862745098 for 1/255)', inputmode: 'decimal' });
  const element = h(
    'div',
    { class: 'subfields' },
    fields.row('data.path', 'Image folder', path, 'One subfolder per class of PNG or JPEG files.'),
    h(
      'div',
      { class: 'grid-3' },
      fields.row('data.size', 'Height', height),
      fields.row('data.size[1]', 'Width', width),
      fields.row('data.channels', 'Channels', channels),
    ),
    fields.row('data.rescale', 'Rescale pixels by', rescale, 'Pixels are 0–255 times this; empty = 1.'),
  );
  return {
    kind: 'images',
    label: 'Image folder',
    element,
    controls: [path, height, width, channels, rescale],
    read(c) {
      const dir = required(c, 'data.path', path, 'the folder of class subfolders');
      const h1 = c.number('data.size', height.value, { integer: true, min: 1 });
      const w1 = c.number('data.size[1]', width.value, { integer: true, min: 1 });
      const scale = c.number('data.rescale', rescale.value, { min: 0, above: true, optional: true });
      if (!dir || h1 === null || w1 === null) return null;
      return { kind: 'images', path: dir, size: [h1, w1], channels: Number(channels.value), rescale: scale ?? undefined };
    },
    fill(s) {
      path.value = text(s.path);
      const size = Array.isArray(s.size) ? s.size : [];
      height.value = text(size[0] ?? 32);
      width.value = text(size[1] ?? 32);
      channels.value = String(s.channels ?? 3);
      rescale.value = text(s.rescale);
    },
  };
}

export function fileKindPanels(fields: FieldRegistry): KindPanel[] {
  return [csvPanel(fields), numpyPanel(fields, 'npz'), numpyPanel(fields, 'npy'), imagesPanel(fields)];
}

/** A source read from a kind panel, without the keys left empty. */
export function compactSource(source: Record<string, unknown>): DataSource {
  return Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined)) as DataSource;
}
