/** The model as a JSON spec, with presets (MLP, CNN) that also pick a dataset that fits them. */
import { h } from '../../dom';
import { type FieldRegistry, section } from './fields';
import { formatJson } from './json-format';
import { MODEL_PRESETS, presetJson, type ModelPreset } from './presets';
import type { IssueCollector } from './read';
import type { ModelSetting, RendererApi } from '../../../../shared/api';
import { createKerasArchivePicker } from './keras-archive-picker';

export interface ModelSection {
  element: HTMLElement;
  read(c: IssueCollector): ModelSetting | null;
  fill(model: ModelSetting): void;
  /** Sets the model's `input` shape (from the data preview); false when the JSON is not a model spec. */
  setInputShape(shape: number[]): boolean;
  /** True when the model is an uploaded Keras archive whose optimizer (config and state) the run continues. */
  continuesArchiveOptimizer(): boolean;
}

export function createModelSection(
  fields: FieldRegistry,
  api: RendererApi,
  onPreset: (preset: ModelPreset) => void,
): ModelSection {
  const text = h('textarea', { rows: 12, class: 'code', spellcheck: 'false', 'data-testid': 'field-model' });
  text.value = presetJson(MODEL_PRESETS[0]);
  const buttons = MODEL_PRESETS.map((preset) => {
    const b = h(
      'button',
      { type: 'button', class: 'button button-small', 'data-testid': `preset-${preset.id}` },
      `${preset.label} preset`,
    );
    b.addEventListener('click', () => {
      text.value = presetJson(preset);
      text.dispatchEvent(new Event('change', { bubbles: true }));
      onPreset(preset);
    });
    return b;
  });
  const archive = createKerasArchivePicker(api, (model) => {
    text.value = formatJson(model);
    text.dispatchEvent(new Event('change', { bubbles: true }));
  });
  const element = section(
    'Model',
    'Layers: dense, conv2d, maxPool2d, flatten, dropout, activation. Loss: softmax_cross_entropy (last layer gives logits) or mse.',
    h('div', { class: 'button-row' }, buttons),
    fields.row('model', 'Model JSON', text, 'The preset buttons also choose a dataset whose shapes fit.'),
    archive.element,
  );
  return {
    element,
    read(c) {
      const model = c.jsonObject('model', text.value);
      if (model && typeof model.type !== 'string') {
        c.add('model', 'The model needs a "type": "mlp", "sequential" or "keras".');
        return null;
      }
      return model as ModelSetting | null;
    },
    continuesArchiveOptimizer() {
      let model: unknown;
      try {
        model = JSON.parse(text.value);
      } catch {
        return false;
      }
      const m = model as { type?: unknown; path?: unknown } | null;
      return archive.continuesOptimizer() && m?.type === 'keras' && typeof m.path === 'string';
    },
    fill(model) {
      text.value = formatJson(model);
    },
    setInputShape(shape) {
      let spec: unknown;
      try {
        spec = JSON.parse(text.value);
      } catch {
        return false; // the user is mid-edit: leave their text alone
      }
      if (typeof spec !== 'object' || spec === null || Array.isArray(spec) || !('layers' in spec || 'input' in spec))
        return false;
      const model = spec as Record<string, unknown>;
      if (JSON.stringify(model.input) === JSON.stringify(shape)) return true;
      model.input = shape;
      text.value = formatJson(model);
      return true;
    },
  };
}
