/**
 * Held-out evaluation and early stopping: the validation data (a seeded share of the training data,
 * a file of the same kind, or any data source as JSON), how often to evaluate, and Keras's
 * EarlyStopping (monitor, mode, patience, minDelta, restoreBest).
 */
import type { EarlyStoppingConfig, RunConfig, ValidationSource } from '../../../../shared/api';
import { h } from '../../dom';
import { formatJson } from './json-format';
import { type FieldRegistry, checkbox, input, section, select } from './fields';
import type { IssueCollector } from './read';

export interface EvaluationPart {
  validation?: ValidationSource;
  evalEvery?: number;
  earlyStopping?: EarlyStoppingConfig;
}

export interface EvaluationSection {
  element: HTMLElement;
  read(c: IssueCollector): EvaluationPart | null;
  fill(config: RunConfig): void;
}

type Mode = 'none' | 'fraction' | 'path' | 'source';

function validationFields(fields: FieldRegistry) {
  const mode = select(
    [
      { value: 'none', label: 'None' },
      { value: 'fraction', label: 'Hold out a share of the training data' },
      { value: 'path', label: 'A file of the same kind' },
      { value: 'source', label: 'Any data source (JSON)' },
    ],
    'none',
    'field-validation-mode',
  );
  const fraction = input({ value: '0.2', inputmode: 'decimal', testid: 'field-validation-fraction' });
  const seed = input({ placeholder: 'the run’s seed', inputmode: 'numeric', testid: 'field-validation-seed' });
  const path = input({ placeholder: '/path/to/held-out.csv', testid: 'field-validation-path' });
  const source = h('textarea', { rows: 3, class: 'code', spellcheck: 'false', 'data-testid': 'field-validation-source' });
  const boxes: Record<Exclude<Mode, 'none'>, HTMLElement> = {
    fraction: h(
      'div',
      { class: 'grid-2' },
      fields.row('data.validation.fraction', 'Share held out', fraction, 'Stratified by class; the same on every device count.'),
      fields.row('data.validation.seed', 'Split seed', seed),
    ),
    path: fields.row('data.validation.path', 'Held-out file', path),
    source: fields.row('data.validation', 'Data source JSON', source),
  };
  const sync = (): void => {
    for (const [k, box] of Object.entries(boxes)) box.hidden = mode.value !== k;
    for (const c of [fraction, seed]) c.disabled = mode.value !== 'fraction';
    path.disabled = mode.value !== 'path';
    source.disabled = mode.value !== 'source';
  };
  mode.addEventListener('change', sync);
  sync();
  const read = (c: IssueCollector): ValidationSource | undefined | null => {
    if (mode.value === 'fraction') {
      const f = c.number('data.validation.fraction', fraction.value, { min: 0, above: true, max: 0.9 });
      const s = c.number('data.validation.seed', seed.value, { integer: true, min: 0, optional: true });
      return f === null ? null : s === null ? { fraction: f } : { fraction: f, seed: s };
    }
    if (mode.value === 'path')
      return path.value.trim() ? { path: path.value.trim() } : (c.add('data.validation.path', 'Enter the held-out file.'), null);
    if (mode.value === 'source') return c.jsonObject('data.validation', source.value) as ValidationSource | null;
    return undefined;
  };
  const fill = (v: ValidationSource | undefined): void => {
    mode.value = v === undefined ? 'none' : 'fraction' in v ? 'fraction' : 'kind' in v ? 'source' : 'path';
    if (v && 'fraction' in v) [fraction.value, seed.value] = [String(v.fraction), v.seed === undefined ? '' : String(v.seed)];
    else if (v && 'kind' in v) source.value = formatJson(v);
    else if (v && 'path' in v) path.value = v.path;
    sync();
  };
  return { element: h('div', null, fields.row('data.validation', 'Validation data', mode), Object.values(boxes)), read, fill };
}

function earlyStoppingFields(fields: FieldRegistry) {
  const on = checkbox(false, 'field-earlyStopping-on');
  const monitor = input({ value: 'val_loss', testid: 'field-earlyStopping-monitor' });
  const mode = select(
    ['auto', 'min', 'max'].map((v) => ({ value: v, label: v })),
    'auto',
    'field-earlyStopping-mode',
  );
  const patience = input({ value: '0', inputmode: 'numeric', testid: 'field-earlyStopping-patience' });
  const minDelta = input({ value: '0', inputmode: 'decimal', testid: 'field-earlyStopping-minDelta' });
  const restoreBest = checkbox(false, 'field-earlyStopping-restoreBest');
  const box = h(
    'div',
    { class: 'grid-3' },
    fields.row('earlyStopping.monitor', 'Monitor', monitor),
    fields.row('earlyStopping.mode', 'Mode', mode, 'auto: max for names with acc, else min.'),
    fields.row('earlyStopping.patience', 'Patience (evaluations)', patience),
    fields.row('earlyStopping.minDelta', 'Min delta', minDelta),
    fields.row('earlyStopping.restoreBest', 'End with the best weights', restoreBest),
  );
  const sync = (): void => {
    box.hidden = !on.checked;
    for (const c of [monitor, mode, patience, minDelta, restoreBest]) c.disabled = !on.checked;
  };
  on.addEventListener('change', sync);
  sync();
  const read = (c: IssueCollector): EarlyStoppingConfig | undefined | null => {
    if (!on.checked) return undefined;
    const p = c.number('earlyStopping.patience', patience.value, { integer: true, min: 0 });
    const d = c.number('earlyStopping.minDelta', minDelta.value);
    if (p === null || d === null) return null;
    return {
      monitor: monitor.value.trim() || 'val_loss',
      mode: mode.value as 'auto',
      patience: p,
      minDelta: d,
      restoreBest: restoreBest.checked,
    };
  };
  const fill = (es: EarlyStoppingConfig | undefined): void => {
    on.checked = es !== undefined;
    monitor.value = es?.monitor ?? 'val_loss';
    mode.value = es?.mode ?? 'auto';
    patience.value = String(es?.patience ?? 0);
    minDelta.value = String(es?.minDelta ?? 0);
    restoreBest.checked = es?.restoreBest === true;
    sync();
  };
  return {
    element: h('div', null, fields.row('earlyStopping', 'Stop early when the monitored figure stops improving', on), box),
    read,
    fill,
  };
}

export function createEvaluationSection(fields: FieldRegistry): EvaluationSection {
  const validation = validationFields(fields);
  const stopping = earlyStoppingFields(fields);
  const evalEvery = input({ placeholder: 'at each checkpoint', inputmode: 'numeric' });
  const element = section(
    'Evaluation and early stopping',
    'Held-out loss and metrics (val_loss, val_accuracy, …), computed on every device’s slice and all-reduced.',
    validation.element,
    fields.row('evalEvery', 'Evaluate every N steps', evalEvery, 'Empty: at every checkpoint and at the last step.'),
    stopping.element,
  );
  return {
    element,
    read(c) {
      const before = c.issues.length;
      const part: EvaluationPart = {
        validation: validation.read(c) ?? undefined,
        evalEvery: c.number('evalEvery', evalEvery.value, { integer: true, min: 1, optional: true }) ?? undefined,
        earlyStopping: stopping.read(c) ?? undefined,
      };
      return c.issues.length > before ? null : part;
    },
    fill(config) {
      validation.fill(config.data.validation);
      evalEvery.value = config.evalEvery === undefined ? '' : String(config.evalEvery);
      stopping.fill(config.earlyStopping);
    },
  };
}
