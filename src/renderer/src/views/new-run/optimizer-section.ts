/**
 * Adadelta settings as Keras's get_config() keys: learning rate (number or schedule), rho, epsilon,
 * clipping, EMA, plus an import box for a config JSON written by Python Keras.
 */
import type { RendererApi } from '../../../../shared/api';
import { ADADELTA_DEFAULTS } from '../../../../shared/defaults';
import { h } from '../../dom';
import { type FieldRegistry, checkbox, input, section } from './fields';
import { createLrSection } from './lr-section';
import type { IssueCollector } from './read';

export interface OptimizerSection {
  element: HTMLElement;
  read(c: IssueCollector): Record<string, unknown> | null;
  fill(config: Record<string, unknown>): string | null;
  refreshPreview(): void;
  dispose(): void;
}

const P = 'optimizer';
/** Keys the form edits; anything else in an imported config is carried through unchanged. */
const EDITED = [
  'learning_rate',
  'rho',
  'epsilon',
  'clipnorm',
  'global_clipnorm',
  'clipvalue',
  'use_ema',
  'ema_momentum',
  'ema_overwrite_frequency',
];

/**
 * A config JSON from Python Keras, checked and normalised by the engine (importOptimizerConfig), then
 * put into the fields by `apply`, which says what could not be shown (kept as is) or why it failed.
 */
function createImportBox(
  fields: FieldRegistry,
  api: RendererApi,
  apply: (config: Record<string, unknown>) => string | string[],
): HTMLElement {
  const text = h('textarea', {
    rows: 5,
    class: 'code',
    spellcheck: 'false',
    'data-testid': 'import-json',
    placeholder: '{"name": "Adadelta", "learning_rate": 0.001, "rho": 0.95, …}',
  });
  const button = h(
    'button',
    { type: 'button', class: 'button button-small', 'data-testid': 'import-optimizer' },
    'Import config',
  );
  const status = h('p', { class: 'field-hint', 'data-testid': 'import-status', 'aria-live': 'polite' });
  button.addEventListener('click', async () => {
    status.classList.remove('is-error');
    try {
      const result = apply((await api.importOptimizerConfig(text.value)).config);
      if (typeof result === 'string') throw new Error(result);
      status.textContent = `Imported.${result.length ? ` Kept as-is: ${result.join(', ')}.` : ''}`;
    } catch (err) {
      status.textContent = `Could not import: ${(err as Error).message}`;
      status.classList.add('is-error');
    }
  });
  return h(
    'details',
    { class: 'advanced', 'data-testid': 'import-details' },
    h('summary', null, 'Paste a Keras optimizer config (JSON)'),
    fields.row(`${P}.import`, 'tf.keras.optimizers.Adadelta(…).get_config()', text),
    h('div', { class: 'button-row' }, button),
    status,
  );
}

interface OptimizerInputs {
  rho: HTMLInputElement;
  epsilon: HTMLInputElement;
  clipnorm: HTMLInputElement;
  globalClipnorm: HTMLInputElement;
  clipvalue: HTMLInputElement;
  useEma: HTMLInputElement;
  emaMomentum: HTMLInputElement;
  emaEvery: HTMLInputElement;
}

/** Keras's get_config() keys from the fields, `extras` (keys the form has no field for) kept. */
function readOptimizer(
  c: IssueCollector,
  extras: Record<string, unknown>,
  lr: { read(c: IssueCollector): unknown },
  f: OptimizerInputs,
): Record<string, unknown> | null {
  const before = c.issues.length;
  const ema = f.useEma.checked;
  const config: Record<string, unknown> = {
    ...extras,
    learning_rate: lr.read(c),
    rho: c.number(`${P}.rho`, f.rho.value, { min: 0, max: 1 }),
    epsilon: c.number(`${P}.epsilon`, f.epsilon.value, { min: 0, above: true }),
    clipnorm: c.number(`${P}.clipnorm`, f.clipnorm.value, { min: 0, above: true, optional: true }),
    global_clipnorm: c.number(`${P}.global_clipnorm`, f.globalClipnorm.value, { min: 0, above: true, optional: true }),
    clipvalue: c.number(`${P}.clipvalue`, f.clipvalue.value, { min: 0, above: true, optional: true }),
    use_ema: ema,
    ema_momentum: ema
      ? c.number(`${P}.ema_momentum`, f.emaMomentum.value, { min: 0, max: 1 })
      : Number(f.emaMomentum.value) || 0.99,
    ema_overwrite_frequency: ema
      ? c.number(`${P}.ema_overwrite_frequency`, f.emaEvery.value, { integer: true, min: 1, optional: true })
      : null,
  };
  if (config.clipnorm !== null && config.global_clipnorm !== null)
    c.add(`${P}.global_clipnorm`, 'Set at most one of clipnorm and global_clipnorm (Keras refuses both).');
  return c.issues.length > before ? null : config;
}

export function createOptimizerSection(fields: FieldRegistry, api: RendererApi, getSteps: () => number): OptimizerSection {
  const lr = createLrSection(fields, api, getSteps);
  const num = (value: string, placeholder?: string): HTMLInputElement => input({ value, placeholder, inputmode: 'decimal' });
  const rho = num(String(ADADELTA_DEFAULTS.rho));
  const epsilon = num(String(ADADELTA_DEFAULTS.epsilon));
  const clipnorm = num('', 'none');
  const globalClipnorm = num('', 'none');
  const clipvalue = num('', 'none');
  const useEma = checkbox(false);
  const emaMomentum = num(String(ADADELTA_DEFAULTS.ema_momentum));
  const emaEvery = num('', 'never');
  let extras: Record<string, unknown> = { name: 'Adadelta' };

  const syncEma = (): void => {
    emaMomentum.disabled = !useEma.checked;
    emaEvery.disabled = !useEma.checked;
  };
  useEma.addEventListener('change', syncEma);
  syncEma();

  const setText = (el: HTMLInputElement, v: unknown): void => void (el.value = v === null || v === undefined ? '' : String(v));
  const fill = (config: Record<string, unknown>): string | null => {
    const lrError = 'learning_rate' in config ? lr.fill(config.learning_rate) : null;
    if (lrError) return lrError;
    setText(rho, config.rho ?? ADADELTA_DEFAULTS.rho);
    setText(epsilon, config.epsilon ?? ADADELTA_DEFAULTS.epsilon);
    setText(clipnorm, config.clipnorm);
    setText(globalClipnorm, config.global_clipnorm);
    setText(clipvalue, config.clipvalue);
    useEma.checked = config.use_ema === true;
    setText(emaMomentum, config.ema_momentum ?? ADADELTA_DEFAULTS.ema_momentum);
    setText(emaEvery, config.ema_overwrite_frequency);
    syncEma();
    extras = Object.fromEntries(Object.entries(config).filter(([k]) => !EDITED.includes(k)));
    return null;
  };

  const importBox = createImportBox(fields, api, (config) => {
    const error = fill(config);
    return error ?? Object.keys(extras).filter((k) => k !== 'name');
  });

  const element = section(
    'Optimizer: Adadelta',
    'Keras semantics, sharded: clipping and EMA work across devices exactly as on one.',
    lr.element,
    h(
      'div',
      { class: 'grid-3' },
      fields.row(`${P}.rho`, 'rho', rho, 'Decay of the running averages E[g²], E[Δx²].'),
      fields.row(`${P}.epsilon`, 'epsilon', epsilon, 'Added inside the square roots.'),
      h('span'),
      fields.row(`${P}.clipnorm`, 'clipnorm', clipnorm, 'Per-variable norm limit.'),
      fields.row(`${P}.global_clipnorm`, 'global_clipnorm', globalClipnorm, 'Limit on the norm over all variables.'),
      fields.row(`${P}.clipvalue`, 'clipvalue', clipvalue, 'Element-wise limit.'),
    ),
    h(
      'div',
      { class: 'grid-3' },
      fields.row(`${P}.use_ema`, 'Use EMA of weights', useEma),
      fields.row(`${P}.ema_momentum`, 'EMA momentum', emaMomentum),
      fields.row(`${P}.ema_overwrite_frequency`, 'Overwrite every N steps', emaEvery, 'Empty: only at the end.'),
    ),
    importBox,
  );

  return {
    element,
    fill,
    refreshPreview: lr.refreshPreview,
    dispose: lr.dispose,
    read: (c) =>
      readOptimizer(c, extras, lr, { rho, epsilon, clipnorm, globalClipnorm, clipvalue, useEma, emaMomentum, emaEvery }),
  };
}
