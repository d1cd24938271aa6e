/**
 * The new-run form: sections read their part of the RunConfig; client-side checks run on every
 * change, the engine's `validateRunConfig` before start; every issue appears next to its field and in
 * a summary whose entries move focus to that field.
 */
import type { ConfigIssue, RunConfig } from '../../../../shared/api';
import { ApiError } from '../../../../shared/errors';
import { h, replaceChildren } from '../../dom';
import { navigate } from '../../router';
import type { View, ViewContext } from '../../view';
import { createDataPreview } from './data-preview';
import { createDataSection } from './data-section';
import { createDevicesSection } from './devices-section';
import { FieldRegistry } from './fields';
import { createModelSection } from './model-section';
import { createOptimizerSection } from './optimizer-section';
import { IssueCollector } from './read';
import { createTrainingSection } from './training-section';

/** An engine refusal with field-level issues lands on the fields; any other error goes to the summary. */
function issuesOf(err: unknown): ConfigIssue[] {
  if (err instanceof ApiError && err.issues && err.issues.length > 0) return err.issues;
  return [{ path: '', message: (err as Error).message }];
}

export function createNewRunView(ctx: ViewContext, fromRunId?: string): View {
  const { api } = ctx;
  const fields = new FieldRegistry();
  const training = createTrainingSection(fields);
  const data = createDataSection(fields);
  const model = createModelSection(fields, api, (preset) => {
    data.chooseBuiltin(preset.dataset);
    syncPreview();
  });
  const preview = createDataPreview(api, (shape) => {
    if (model.setInputShape(shape)) previewNote.textContent = `Model input set to [${shape.join(', ')}] from the data.`;
  });
  const previewNote = h('p', { class: 'field-hint', 'data-testid': 'data-preview-note', 'aria-live': 'polite' });
  data.attach(h('div', { class: 'preview-box' }, preview.element, previewNote));
  const syncPreview = (): void => preview.update(data.current());
  data.element.addEventListener('change', syncPreview);
  data.element.addEventListener('input', syncPreview);
  const devices = createDevicesSection(fields);
  const optimizer = createOptimizerSection(fields, api, training.steps);
  const summary = h('div', {
    class: 'error-summary',
    role: 'alert',
    tabindex: '-1',
    'data-testid': 'issue-summary',
    hidden: true,
  });
  const status = h('p', { class: 'form-status', 'aria-live': 'polite', 'data-testid': 'form-status' });
  const check = h('button', { type: 'button', class: 'button', 'data-testid': 'validate-run' }, 'Check config');
  const start = h(
    'button',
    { type: 'submit', class: 'button button-primary', 'data-testid': 'start-run', 'aria-keyshortcuts': 'Control+Enter' },
    'Start run',
  );

  const form = h(
    'form',
    { class: 'run-form', novalidate: true, 'data-testid': 'new-run-form' },
    h(
      'div',
      { class: 'form-columns' },
      h('div', null, training.element, data.element, devices.element),
      h('div', null, model.element, optimizer.element),
    ),
    h('div', { class: 'form-footer' }, status, check, start),
  );

  const collect = (): { config: RunConfig | null; issues: ConfigIssue[] } => {
    const c = new IssueCollector();
    // An uploaded archive's own optimizer (config and state) continues when the run gives none.
    const fromArchive = model.continuesArchiveOptimizer();
    const parts = {
      t: training.read(c),
      d: data.read(c),
      m: model.read(c),
      mesh: devices.read(c),
      o: fromArchive ? {} : optimizer.read(c),
    };
    if (!parts.t || !parts.d || !parts.m || !parts.mesh || !parts.o) return { config: null, issues: c.issues };
    const config = {
      ...parts.t,
      data: parts.d,
      model: parts.m,
      ...parts.mesh,
      ...(fromArchive ? {} : { optimizer: parts.o }),
    } as RunConfig;
    return { config, issues: c.issues };
  };

  const showIssues = (issues: ConfigIssue[], withSummary: boolean): void => {
    const { unplaced, first } = fields.show(issues);
    summary.hidden = !withSummary || issues.length === 0;
    if (summary.hidden) return;
    const item = (issue: ConfigIssue): HTMLElement => {
      const label = h('span', { class: 'issue-path' }, issue.path || 'config');
      const control = unplaced.includes(issue) ? null : fields.controlFor(issue.path);
      if (!control) return h('li', null, label, ' ', issue.message);
      const link = h('a', { href: `#${control.id}` }, label);
      link.addEventListener('click', (e) => {
        e.preventDefault();
        control.closest('details')?.setAttribute('open', '');
        control.focus();
      });
      return h('li', null, link, ' ', issue.message);
    };
    replaceChildren(
      summary,
      h('h2', null, issues.length === 1 ? 'Fix 1 problem' : `Fix ${issues.length} problems`),
      h('ul', null, issues.map(item)),
    );
    if (first && unplaced.length === 0) first.focus();
    else summary.focus();
  };

  const busy = (on: boolean, text = ''): void => {
    check.disabled = on;
    start.disabled = on;
    status.textContent = text;
  };

  /** Client checks, then the engine's. Returns the config when both are clean. */
  const validate = async (): Promise<RunConfig | null> => {
    const { config, issues } = collect();
    if (!config) return (showIssues(issues, true), null);
    busy(true, 'Checking…');
    try {
      const serverIssues = await api.validateRunConfig(config);
      showIssues(serverIssues, true);
      return serverIssues.length === 0 ? config : null;
    } finally {
      busy(false);
    }
  };

  const submit = async (): Promise<void> => {
    try {
      const config = await validate();
      if (!config) return;
      busy(true, 'Starting workers…');
      const { runId } = await api.startRun(config);
      navigate({ view: 'run', runId });
    } catch (err) {
      busy(false);
      showIssues(issuesOf(err), true);
    }
  };

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void submit();
  });
  check.addEventListener('click', async () => {
    try {
      if (await validate()) status.textContent = 'The config is valid.';
    } catch (err) {
      showIssues(issuesOf(err), true);
    }
  });
  // Inline client checks as the user commits each field; the summary waits for a submit.
  form.addEventListener('change', () => showIssues(collect().issues, !summary.hidden));
  training.stepsInput.addEventListener('change', () => optimizer.refreshPreview());

  const load = async (): Promise<void> => {
    const [deviceList, datasetList] = await Promise.all([api.listDevices(), api.listDatasets()]);
    devices.setDevices(deviceList);
    data.setDatasets(datasetList);
    if (!fromRunId) data.chooseBuiltin('iris');
    else await prefill(fromRunId);
    optimizer.refreshPreview();
    syncPreview();
  };
  const prefill = async (runId: string): Promise<void> => {
    const { config } = await api.getRun(runId);
    training.fill(config);
    data.fill(config.data);
    model.fill(config.model);
    devices.fill(config.mesh, config.layouts);
    const error = optimizer.fill(config.optimizer);
    status.textContent = error ?? `Settings copied from run ${config.name ?? runId}.`;
  };
  load().catch((err: Error) => showIssues([{ path: '', message: `Could not load devices or datasets: ${err.message}` }], true));
  // Not awaited with the lists: the check spawns probes and may take seconds.
  api.doctor().then(
    (report) => devices.setDoctor(report),
    (err: Error) => devices.setDoctor({ error: err.message }),
  );

  const element = h(
    'div',
    { class: 'view view-new', 'data-testid': 'view-new' },
    h(
      'div',
      { class: 'view-header' },
      h(
        'div',
        null,
        h('h1', null, 'New run'),
        h('p', { class: 'lead' }, 'Train a model with the sharded, Keras-exact Adadelta on this machine’s devices.'),
      ),
    ),
    summary,
    form,
  );
  return {
    element,
    title: 'New run',
    dispose: () => {
      optimizer.dispose();
      preview.dispose();
    },
    onKey(e) {
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
        form.requestSubmit();
        return true;
      }
      return false;
    },
  };
}
