/**
 * A `.keras` file picker for the model section: the file goes to the engine (importKerasArchive checks
 * and stores it) and the model becomes `{"type": "keras", "path": <stored copy>}`. A bad file shows the
 * engine's one-line reason under the picker.
 */
import { h } from '../../dom';
import type { RendererApi } from '../../../../shared/api';

export interface KerasArchivePicker {
  element: HTMLElement;
  /** Whether the run should take the archive's optimizer (config and state) instead of the form's. */
  continuesOptimizer(): boolean;
}

/** The file's bytes as base64, in chunks (a spread of a large array overflows the call stack). */
async function base64Of(file: File): Promise<string> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

export function createKerasArchivePicker(
  api: RendererApi,
  onModel: (model: { type: 'keras'; path: string }) => void,
): KerasArchivePicker {
  const file = h('input', {
    type: 'file',
    accept: '.keras',
    'data-testid': 'keras-archive-file',
    'aria-describedby': 'keras-archive-hint keras-archive-error',
  });
  const error = h('p', { class: 'field-error', id: 'keras-archive-error', 'data-testid': 'keras-archive-error', hidden: true });
  const status = h('p', { class: 'field-hint', 'data-testid': 'keras-archive-status', 'aria-live': 'polite' });
  const keepOptimizer = h('input', { type: 'checkbox', checked: true, 'data-testid': 'keras-archive-optimizer' });
  const keepRow = h(
    'label',
    { class: 'field-check', hidden: true },
    keepOptimizer,
    " Continue the archive's optimizer (its config and state: iterations, accumulators, EMA); uncheck to use the Optimizer section",
  );
  let loaded = false;

  file.addEventListener('change', async () => {
    const chosen = file.files?.[0];
    if (!chosen) return;
    error.hidden = true;
    error.textContent = '';
    file.removeAttribute('aria-invalid');
    status.textContent = `Reading ${chosen.name}…`;
    try {
      const { path } = await api.importKerasArchive(chosen.name, await base64Of(chosen));
      loaded = true;
      keepRow.hidden = false;
      status.textContent = `${chosen.name} loaded.`;
      onModel({ type: 'keras', path });
    } catch (err) {
      status.textContent = '';
      error.textContent = (err as Error).message;
      error.hidden = false;
      file.setAttribute('aria-invalid', 'true');
    }
  });

  const element = h(
    'div',
    { class: 'field' },
    h('label', null, 'Keras archive (.keras)', file),
    h(
      'p',
      { class: 'field-hint', id: 'keras-archive-hint' },
      "Builds the model, loss and weights from a Keras 3 archive. Without an optimizer section the archive's optimizer state continues where Keras stopped.",
    ),
    keepRow,
    status,
    error,
  );
  return { element, continuesOptimizer: () => loaded && keepOptimizer.checked };
}
