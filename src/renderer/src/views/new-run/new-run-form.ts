/**
 * The new-run form's sections and the config they describe. A run's config is read as edits to the
 * config the form was filled from (config-edits.ts), so a copied run is the same config, and the JSON
 * tab and the form stay in step through the same two calls: `config()` and `fill()`.
 */
import type { ConfigIssue, RendererApi, RunConfig } from '../../../../shared/api';
import { h } from '../../dom';
import { applyFormEdits } from './config-edits';
import { createDataPreview } from './data-preview';
import { createDataSection } from './data-section';
import { createDevicesSection } from './devices-section';
import { createEvaluationSection } from './evaluation-section';
import { FieldRegistry } from './fields';
import { createModelSection } from './model-section';
import { createOptimizerSection } from './optimizer-section';
import { IssueCollector } from './read';
import { createTrainingSection } from './training-section';

export type Sections = ReturnType<typeof createSections>;

function createSections(api: RendererApi) {
  const fields = new FieldRegistry();
  const training = createTrainingSection(fields);
  const data = createDataSection(fields);
  const model = createModelSection(fields, api, (preset) => {
    data.chooseBuiltin(preset.dataset);
    syncPreview();
  });
  const previewNote = h('p', { class: 'field-hint', 'data-testid': 'data-preview-note', 'aria-live': 'polite' });
  const preview = createDataPreview(api, (shape) => {
    if (model.setInputShape(shape)) previewNote.textContent = `Model input set to [${shape.join(', ')}] from the data.`;
  });
  data.attach(h('div', { class: 'preview-box' }, preview.element, previewNote));
  const syncPreview = (): void => preview.update(data.current());
  for (const ev of ['change', 'input']) data.element.addEventListener(ev, syncPreview);
  const evaluation = createEvaluationSection(fields);
  const devices = createDevicesSection(fields);
  const optimizer = createOptimizerSection(fields, api, training.steps);
  return { fields, training, data, model, preview, syncPreview, evaluation, devices, optimizer };
}

/** What the fields say now, section by section; a section whose fields have problems gives nothing. */
function readParts(s: Sections, c: IssueCollector): { parts: Partial<RunConfig>; complete: boolean } {
  // An uploaded archive's own optimizer (config and state) continues when the run gives none.
  const fromArchive = s.model.continuesArchiveOptimizer();
  const t = s.training.read(c);
  const d = s.data.read(c);
  const e = s.evaluation.read(c);
  const m = s.model.read(c);
  const mesh = s.devices.read(c);
  const o = fromArchive ? {} : s.optimizer.read(c);
  const data = d && e ? { ...d, ...(e.validation ? { validation: e.validation } : {}) } : null;
  const parts: Partial<RunConfig> = {
    ...(t ?? {}),
    ...(data ? { data } : {}),
    ...(m ? { model: m } : {}),
    ...(mesh ?? {}),
    ...(o && !fromArchive ? { optimizer: o } : {}),
    ...(e?.evalEvery !== undefined ? { evalEvery: e.evalEvery } : {}),
    ...(e?.earlyStopping ? { earlyStopping: e.earlyStopping } : {}),
  };
  return { parts, complete: Boolean(t && data && m && mesh && o) };
}

export interface NewRunForm {
  sections: Sections;
  element: HTMLElement;
  /** The config to run (null with the form's own problems), as edits to the filled config; `draft` either way. */
  config(): { config: RunConfig | null; draft: RunConfig; issues: ConfigIssue[] };
  /** Shows `config` in the fields (`asCopy`: a duplicate's name); what the fields do not show is kept as it is. */
  fill(config: RunConfig, asCopy?: boolean): string | null;
  /** After a fresh form's fields are set up: its defaults are the base edits apply to. */
  settle(): void;
}

export function createNewRunForm(api: RendererApi): NewRunForm {
  const s = createSections(api);
  let base: Partial<RunConfig> = {};
  let before: Partial<RunConfig> = {};
  const element = h(
    'div',
    { class: 'form-columns' },
    h('div', null, s.training.element, s.data.element, s.evaluation.element, s.devices.element),
    h('div', null, s.model.element, s.optimizer.element),
  );
  const settle = (): void => void (before = readParts(s, new IssueCollector()).parts);
  return {
    sections: s,
    element,
    config() {
      const c = new IssueCollector();
      const { parts, complete } = readParts(s, c);
      const config = applyFormEdits(base, before, parts) as RunConfig;
      // An archive's optimizer continues only when the run gives none.
      if (s.model.continuesArchiveOptimizer()) delete (config as Partial<RunConfig>).optimizer;
      return { config: complete && c.issues.length === 0 ? config : null, draft: config, issues: c.issues };
    },
    fill(config, asCopy = false) {
      s.training.fill(config, asCopy);
      s.data.fill(config.data);
      s.evaluation.fill(config);
      s.model.fill(config.model);
      s.devices.fill(config.mesh, config.layouts);
      const error = config.optimizer ? s.optimizer.fill(config.optimizer) : null;
      base = structuredClone(config);
      settle();
      // The copy's name is the one the form shows ("… (copy)"), not the original's.
      if (asCopy && before.name === undefined) delete base.name;
      else if (asCopy) base.name = before.name;
      return error;
    },
    settle() {
      settle();
      base = structuredClone(before);
    },
  };
}
