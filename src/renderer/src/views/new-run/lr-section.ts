/**
 * Learning rate: a constant or a Keras schedule, with a live preview over the run's steps computed by
 * the engine (`previewLearningRate`), so the chart shows exactly the float32 values training will use.
 */
import type { LearningRateSetting, RendererApi } from '../../../../shared/api';
import { Chart } from '../../charts/chart';
import { debounce, h } from '../../dom';
import { type FieldRegistry, checkbox, input, select, type Control } from './fields';
import { IssueCollector } from './read';
import { PARAMS, SCHEDULES, scheduleName } from './schedules';

export interface LrSection {
  element: HTMLElement;
  read(c: IssueCollector): LearningRateSetting | null;
  /** Fills from an imported setting; returns an error message when the schedule is not editable here. */
  fill(setting: unknown): string | null;
  refreshPreview(): void;
  dispose(): void;
}

const PREVIEW_MAX_STEPS = 200_000;
const PATH = 'optimizer.learning_rate';

export function createLrSection(fields: FieldRegistry, api: RendererApi, getSteps: () => number): LrSection {
  const type = select(
    [{ value: 'constant', label: 'Constant' }, ...Object.entries(SCHEDULES).map(([v, d]) => ({ value: v, label: d.label }))],
    'constant',
    'field-lr-type',
  );
  const constant = input({ value: '1.0', inputmode: 'decimal' });
  const formula = h('p', { class: 'field-hint formula' });
  const { params, rows } = scheduleParams(fields);
  const constantRow = fields.row(PATH, 'Learning rate', constant, 'Keras’s default is 0.001; Adadelta’s paper uses 1.0.');
  const sync = (): void => {
    const active = type.value === 'constant' ? [] : SCHEDULES[type.value].keys;
    constantRow.hidden = type.value !== 'constant';
    constant.disabled = type.value !== 'constant';
    for (const [key, row] of rows) {
      row.hidden = !active.includes(key);
      params.get(key)!.disabled = !active.includes(key);
    }
    formula.textContent = type.value === 'constant' ? '' : SCHEDULES[type.value].formula;
  };

  const read = (c: IssueCollector): LearningRateSetting | null => {
    if (type.value === 'constant') return c.number(PATH, constant.value, { min: 0, above: true });
    const config: Record<string, unknown> = {};
    const before = c.issues.length;
    for (const key of SCHEDULES[type.value].keys) {
      const p = PARAMS[key];
      const control = params.get(key)!;
      const path = `${PATH}.config.${key}`;
      if (p.type.kind === 'bool') config[key] = (control as HTMLInputElement).checked;
      else if (p.type.kind === 'list') config[key] = c.numberList(path, control.value);
      else config[key] = c.number(path, control.value, p.type.rule);
    }
    if (c.issues.length > before) return null;
    config.name = null;
    return { module: 'keras.optimizers.schedules', class_name: type.value, config, registered_name: null };
  };

  const preview = createLrPreview(api, getSteps, () => read(new IssueCollector()));
  const updatePreview = preview.update;

  type.addEventListener('change', () => {
    sync();
    updatePreview();
  });
  sync();

  const element = h(
    'div',
    { class: 'lr-editor' },
    h(
      'div',
      { class: 'lr-fields' },
      fields.row(`${PATH}.class_name`, 'Schedule', type),
      formula,
      constantRow,
      h('div', { class: 'grid-2' }, [...rows.values()]),
    ),
    preview.element,
  );
  element.addEventListener('input', () => updatePreview());
  element.addEventListener('change', () => updatePreview());

  return {
    element,
    read,
    refreshPreview: () => updatePreview(),
    dispose: preview.dispose,
    fill(setting) {
      const error = fillSetting(setting, type, constant, params);
      if (error) return error;
      sync();
      updatePreview();
      return null;
    },
  };
}

/** The learning rate over the run's steps, as the engine computes it (float32, the schedule's own code). */
function createLrPreview(api: RendererApi, getSteps: () => number, read: () => LearningRateSetting | null) {
  const note = h('p', { class: 'field-hint', 'data-testid': 'lr-preview-note', 'aria-live': 'polite' });
  let values = new Float64Array(0);
  let steps = new Float64Array(0);
  const chart = new Chart({
    title: 'Learning-rate preview',
    testid: 'lr-preview',
    series: [{ label: 'learning rate', color: 2 }],
    data: () => [steps, values],
    height: 160,
  });
  let generation = 0;
  const update = debounce(async () => {
    const setting = read();
    const n = Math.min(Math.max(1, Math.floor(getSteps()) || 1000), PREVIEW_MAX_STEPS);
    const mine = ++generation;
    if (setting === null) return void (note.textContent = 'Preview waits for valid values.');
    try {
      const got = await api.previewLearningRate(setting, n);
      if (mine !== generation) return; // a newer request is on its way
      values = Float64Array.from(got);
      steps = Float64Array.from(got, (_v, i) => i);
      note.textContent = `Steps 0–${n - 1}: from ${got[0]?.toPrecision(4)} to ${got[n - 1]?.toPrecision(4)}.`;
      chart.invalidate();
    } catch (err) {
      if (mine === generation) note.textContent = `Preview unavailable: ${(err as Error).message}`;
    }
  }, 250);
  return {
    element: h('div', { class: 'lr-preview' }, chart.element, note),
    update: () => void update(),
    dispose() {
      update.cancel();
      chart.destroy();
    },
  };
}

/** One input per schedule parameter (shared by the schedules that use it), each in its field row. */
function scheduleParams(fields: FieldRegistry): { params: Map<string, Control>; rows: Map<string, HTMLElement> } {
  const params = new Map<string, Control>();
  const rows = new Map<string, HTMLElement>();
  for (const [key, p] of Object.entries(PARAMS)) {
    const control =
      p.type.kind === 'bool' ? checkbox(p.default === true) : input({ value: String(p.default), inputmode: 'decimal' });
    params.set(key, control);
    rows.set(key, fields.row(`${PATH}.config.${key}`, p.label, control, p.hint));
  }
  return { params, rows };
}

/** Sets the controls from a setting; an error message when the schedule is not editable here. */
function fillSetting(
  setting: unknown,
  type: HTMLSelectElement,
  constant: HTMLInputElement,
  params: Map<string, Control>,
): string | null {
  if (typeof setting === 'number') {
    type.value = 'constant';
    constant.value = String(setting);
    return null;
  }
  if (!setting || typeof setting !== 'object' || typeof (setting as { class_name?: unknown }).class_name !== 'string')
    return 'learning_rate must be a number or a schedule dict.';
  const s = setting as { class_name: string; config?: Record<string, unknown> };
  const name = scheduleName(s.class_name);
  if (!SCHEDULES[name])
    return `The schedule ${s.class_name} cannot be edited here (supported: ${Object.keys(SCHEDULES).join(', ')}).`;
  type.value = name;
  for (const key of SCHEDULES[name].keys) fillParam(params.get(key)!, s.config?.[key]);
  return null;
}

function fillParam(control: Control, value: unknown): void {
  if (control instanceof HTMLInputElement && control.type === 'checkbox') control.checked = value === true;
  else if (Array.isArray(value)) control.value = value.join(', ');
  else control.value = value === null || value === undefined ? '' : String(value);
}
