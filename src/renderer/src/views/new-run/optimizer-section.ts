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
  const importText = h('textarea', {
    rows: 5,
    class: 'code',
    spellcheck: 'false',
    'data-testid': 'import-json',
    placeholder: '{"name": "Adadelta", "learning_rate": 0.001, "rho": 0.95, …}',
  });
  const importButton = h(
    'button',
    { type: 'button', class: 'button button-small', 'data-testid': 'import-optimizer' },
    'Import config',
  );
  const importStatus = h('p', { class: 'field-hint', 'data-testid': 'import-status', 'aria-live': 'polite' });
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

  importButton.addEventListener('click', async () => {
    importStatus.classList.remove('is-error');
    try {
      const { config } = await api.importOptimizerConfig(importText.value);
      const error = fill(config);
      if (error) throw new Error(error);
      const kept = Object.keys(extras).filter((k) => k !== 'name');
      importStatus.textContent = `Imported.${kept.length ? ` Kept as-is: ${kept.join(', ')}.` : ''}`;
    } catch (err) {
      importStatus.textContent = `Could not import: ${(err as Error).message}`;
      importStatus.classList.add('is-error');
    }
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
    h(
      'details',
      { class: 'advanced', 'data-testid': 'import-details' },
      h('summary', null, 'Paste a Keras optimizer config (JSON)'),
      fields.row(`${P}.import`, 'tf.keras.optimizers.Adadelta(…).get_config()', importText),
      h('div', { class: 'button-row' }, importButton),
      importStatus,
    ),
  );

  return {
    element,
    fill,
    refreshPreview: lr.refreshPreview,
    dispose: lr.dispose,
    read(c) {
      const before = c.issues.length;
      const config: Record<string, unknown> = {
        ...extras,
        learning_rate: lr.read(c),
        rho: c.number(`${P}.rho`, rho.value, { min: 0, max: 1 }),
        epsilon: c.number(`${P}.epsilon`, epsilon.value, { min: 0, above: true }),
        clipnorm: c.number(`${P}.clipnorm`, clipnorm.value, { min: 0, above: true, optional: true }),
        global_clipnorm: c.number(`${P}.global_clipnorm`, globalClipnorm.value, { min: 0, above: true, optional: true }),
        clipvalue: c.number(`${P}.clipvalue`, clipvalue.value, { min: 0, above: true, optional: true }),
        use_ema: useEma.checked,
        ema_momentum: useEma.checked
          ? c.number(`${P}.ema_momentum`, emaMomentum.value, { min: 0, max: 1 })
          : Number(emaMomentum.value) || 0.99,
        ema_overwrite_frequency: useEma.checked
          ? c.number(`${P}.ema_overwrite_frequency`, emaEvery.value, { integer: true, min: 1, optional: true })
          : null,
      };
      if (config.clipnorm !== null && config.global_clipnorm !== null) {
        c.add(`${P}.global_clipnorm`, 'Set at most one of clipnorm and global_clipnorm (Keras refuses both).');
      }
      return c.issues.length > before ? null : config;
    },
  };
}
