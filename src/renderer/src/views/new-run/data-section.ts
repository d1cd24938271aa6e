/**
 * Dataset choice: a built-in (from `listDatasets`) or a file the engine's machine reads — CSV, NumPy
 * .npz or .npy, a folder of images — and whether batches are shuffled or read in file order.
 */
import type { DataSource, DatasetInfo } from '../../../../shared/api';
import { h, nextId } from '../../dom';
import { compactSource, fileKindPanels, type FileKind } from './data-kinds';
import { type FieldRegistry, checkbox, section, select } from './fields';
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

type Kind = 'builtin' | FileKind;

function radio(name: string, value: Kind, label: string, checked: boolean): { el: HTMLElement; input: HTMLInputElement } {
  const id = nextId('r');
  const el = h('input', { type: 'radio', name, value, id, checked, 'data-testid': `data-kind-${value}` });
  return { el: h('label', { for: id, class: 'radio' }, el, ' ', label), input: el };
}

export function createDataSection(fields: FieldRegistry): DataSection {
  let datasets: DatasetInfo[] = [];
  const group = nextId('data');
  const panels = fileKindPanels(fields);
  const radios = [radio(group, 'builtin', 'Built-in dataset', true), ...panels.map((p) => radio(group, p.kind, p.label, false))];
  const builtin = select([{ value: '', label: 'Loading…' }], '');
  const description = h('p', { class: 'field-hint', 'data-testid': 'dataset-description' });
  const shuffle = checkbox(true, 'field-data-shuffle');
  const builtinBox = h('div', { class: 'subfields' }, fields.row('data', 'Dataset', builtin), description);
  const kind = (): Kind => (radios.find((r) => r.input.checked)?.input.value as Kind) ?? 'builtin';
  const sync = (): void => {
    builtinBox.hidden = kind() !== 'builtin';
    builtin.disabled = kind() !== 'builtin';
    for (const p of panels) {
      p.element.hidden = p.kind !== kind();
      for (const c of p.controls) c.disabled = p.kind !== kind();
    }
    description.textContent = datasets.find((d) => d.name === builtin.value)?.description ?? '';
  };
  for (const el of [...radios.map((r) => r.input), builtin]) el.addEventListener('change', sync);
  sync();
  const element = section(
    'Data',
    'Each worker reads its own slice of every global batch.',
    h(
      'fieldset',
      { class: 'radio-row' },
      h('legend', { class: 'sr-only' }, 'Data source'),
      radios.map((r) => r.el),
    ),
    builtinBox,
    panels.map((p) => p.element),
    fields.row('data.shuffle', 'Shuffle (off: batches in file order, as Keras fit(shuffle=False))', shuffle),
  );
  const choose = (k: Kind): void => {
    for (const r of radios) r.input.checked = r.input.value === k;
    sync();
  };
  const readSource = (c: IssueCollector): DataSource | null => {
    const k = kind();
    if (k !== 'builtin') {
      const source = panels.find((p) => p.kind === k)!.read(c);
      return source ? compactSource(source) : null;
    }
    const info = datasets.find((d) => d.name === builtin.value);
    if (!info) return (c.add('data', 'Choose a dataset.'), null);
    return info.kind === 'synthetic' ? { kind: 'synthetic', name: info.name } : { kind: 'builtin', name: info.name };
  };
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
      builtin.value = name;
      choose('builtin');
    },
    fill(source) {
      shuffle.checked = source.shuffle !== false;
      if (source.kind === 'builtin' || source.kind === 'synthetic') return this.chooseBuiltin(source.name);
      panels.find((p) => p.kind === source.kind)?.fill(source as unknown as Record<string, unknown>);
      choose(source.kind);
    },
    current() {
      return this.read(new IssueCollector());
    },
    attach: (el) => void element.append(el),
    read(c) {
      const source = readSource(c);
      // The engine's default is shuffled: only file order is spelt out.
      return source && (shuffle.checked ? source : { ...source, shuffle: false });
    },
  };
}
