/** Dataset choice: a built-in (from `listDatasets`) or a CSV file on the engine's machine. */
import type { DataSource, DatasetInfo } from '../../../../shared/api';
import { h, nextId } from '../../dom';
import { type FieldRegistry, input, section, select } from './fields';
import { IssueCollector } from './read';

export interface DataSection {
  element: HTMLElement;
  read(c: IssueCollector): DataSource | null;
  setDatasets(list: DatasetInfo[]): void;
  /** Picks a built-in by name when it exists (presets call this). */
  chooseBuiltin(name: string): void;
  fill(source: DataSource): void;
  /** The source the fields describe now, or null (no issues are reported). */
  current(): DataSource | null;
  /** Shows `el` (the data preview) at the end of the section. */
  attach(el: HTMLElement): void;
}

function radio(name: string, value: string, label: string, checked: boolean): { el: HTMLElement; input: HTMLInputElement } {
  const id = nextId('r');
  const el = h('input', { type: 'radio', name, value, id, checked, 'data-testid': `data-kind-${value}` });
  return { el: h('label', { for: id, class: 'radio' }, el, ' ', label), input: el };
}

export function createDataSection(fields: FieldRegistry): DataSection {
  let datasets: DatasetInfo[] = [];
  const group = nextId('data');
  const builtinRadio = radio(group, 'builtin', 'Built-in dataset', true);
  const csvRadio = radio(group, 'csv', 'CSV file', false);
  const builtin = select([{ value: '', label: 'Loading…' }], '');
  const description = h('p', { class: 'field-hint', 'data-testid': 'dataset-description' });
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
  const builtinBox = h('div', { class: 'subfields' }, fields.row('data', 'Dataset', builtin), description);
  const csvBox = h(
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

  const sync = (): void => {
    const csv = csvRadio.input.checked;
    builtinBox.hidden = csv;
    csvBox.hidden = !csv;
    builtin.disabled = csv;
    for (const c of [path, labelColumn, normalize]) c.disabled = !csv;
    const info = datasets.find((d) => d.name === builtin.value);
    description.textContent = info?.description ?? '';
  };
  for (const el of [builtinRadio.input, csvRadio.input, builtin]) el.addEventListener('change', sync);
  sync();

  const element = section(
    'Data',
    'Each worker reads its own slice of every global batch.',
    h('fieldset', { class: 'radio-row' }, h('legend', { class: 'sr-only' }, 'Data source'), builtinRadio.el, csvRadio.el),
    builtinBox,
    csvBox,
  );

  return {
    element,
    setDatasets(list) {
      datasets = list;
      const previous = builtin.value;
      builtin.replaceChildren(
        ...list.map((d) => h('option', { value: d.name }, `${d.name}${d.kind === 'synthetic' ? ' (synthetic)' : ''}`)),
      );
      if (list.some((d) => d.name === previous)) builtin.value = previous;
      sync();
    },
    chooseBuiltin(name) {
      if (!datasets.some((d) => d.name === name)) return;
      builtinRadio.input.checked = true;
      builtin.value = name;
      sync();
    },
    fill(source) {
      if (source.kind === 'csv') {
        csvRadio.input.checked = true;
        path.value = source.path;
        labelColumn.value = source.labelColumn === undefined ? '' : String(source.labelColumn);
        normalize.value = source.normalize ?? 'zscore';
        sync();
      } else if ('name' in source) this.chooseBuiltin(source.name);
    },
    current() {
      return this.read(new IssueCollector());
    },
    attach(el) {
      element.append(el);
    },
    read(c) {
      if (!csvRadio.input.checked) {
        const info = datasets.find((d) => d.name === builtin.value);
        if (!info) return (c.add('data', 'Choose a dataset.'), null);
        return info.kind === 'synthetic' ? { kind: 'synthetic', name: info.name } : { kind: 'builtin', name: info.name };
      }
      if (path.value.trim() === '') return (c.add('data.path', 'Enter the path of a CSV file.'), null);
      const label = labelColumn.value.trim();
      const source: DataSource = {
        kind: 'csv',
        path: path.value.trim(),
        normalize: normalize.value as 'none' | 'zscore' | 'minmax',
      };
      if (label !== '') source.labelColumn = /^\d+$/.test(label) ? Number(label) : label;
      return source;
    },
  };
}
