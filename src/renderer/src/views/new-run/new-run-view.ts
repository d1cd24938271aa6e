/**
 * The new-run form: a Form tab whose sections read their part of the RunConfig, and a JSON tab with
 * the whole config; client-side checks on every change, the engine's `validateRunConfig` before
 * start; every issue appears next to its field and in a summary whose entries move focus to it.
 */
import type { ConfigIssue, RunConfig } from '../../../../shared/api';
import { ApiError } from '../../../../shared/errors';
import { h } from '../../dom';
import { navigate } from '../../router';
import type { View, ViewContext } from '../../view';
import { createIssueSummary } from './issue-summary';
import { createJsonTab } from './json-tab';
import { createModeSwitch } from './mode-switch';
import { createNewRunForm } from './new-run-form';

/** An engine refusal with field-level issues lands on the fields; any other error goes to the summary. */
function issuesOf(err: unknown): ConfigIssue[] {
  if (err instanceof ApiError && err.issues && err.issues.length > 0) return err.issues;
  return [{ path: '', message: (err as Error).message }];
}

export function createNewRunView(ctx: ViewContext, fromRunId?: string): View {
  const { api } = ctx;
  const form = createNewRunForm(api);
  const summary = createIssueSummary(form.sections.fields);
  const json = createJsonTab(api, (issues) => form.sections.fields.show(issues));
  const mode = createModeSwitch(form, json, (issues) => summary.show(issues, true));
  const status = h('p', { class: 'form-status', 'aria-live': 'polite', 'data-testid': 'form-status' });
  const check = h('button', { type: 'button', class: 'button', 'data-testid': 'validate-run' }, 'Check config');
  const start = h(
    'button',
    { type: 'submit', class: 'button button-primary', 'data-testid': 'start-run', 'aria-keyshortcuts': 'Control+Enter' },
    'Start run',
  );
  const formEl = h(
    'form',
    { class: 'run-form', novalidate: true, 'data-testid': 'new-run-form' },
    mode.element,
    h('div', { class: 'form-footer' }, status, check, start),
  );
  const busy = (on: boolean, text = ''): void => {
    [check.disabled, start.disabled, status.textContent] = [on, on, text];
  };
  /** Client checks, then the engine's. Returns the config when both are clean. */
  const validate = async (): Promise<RunConfig | null> => {
    const { config, issues } = mode.current();
    if (!config) return (summary.show(issues, true), null);
    busy(true, 'Checking…');
    try {
      const serverIssues = await api.validateRunConfig(config);
      summary.show(serverIssues, true);
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
      navigate({ view: 'run', runId: (await api.startRun(config)).runId });
    } catch (err) {
      busy(false);
      summary.show(issuesOf(err), true);
    }
  };
  formEl.addEventListener('submit', (e) => (e.preventDefault(), void submit()));
  check.addEventListener('click', () =>
    validate().then(
      (ok) => ok && (status.textContent = 'The config is valid.'),
      (err: unknown) => summary.show(issuesOf(err), true),
    ),
  );
  // Inline client checks as the user commits each field; the summary waits for a submit.
  form.element.addEventListener('change', () => summary.show(form.config().issues, summary.open));
  form.sections.training.stepsInput.addEventListener('change', () => form.sections.optimizer.refreshPreview());
  loadForm(ctx, form, fromRunId, status, (issues) => summary.show(issues, true));
  const lead = h('p', { class: 'lead' }, 'Train a model with the sharded, Keras-exact Adadelta on this machine’s devices.');
  return {
    element: h(
      'div',
      { class: 'view view-new', 'data-testid': 'view-new' },
      h('div', { class: 'view-header' }, h('div', null, h('h1', null, 'New run'), lead)),
      summary.element,
      formEl,
    ),
    title: 'New run',
    dispose: () => {
      form.sections.optimizer.dispose();
      form.sections.preview.dispose();
      json.dispose();
    },
    onKey(e) {
      if (e.key !== 'Enter' || !(e.ctrlKey || e.metaKey)) return false;
      formEl.requestSubmit();
      return true;
    },
  };
}

/** Devices, datasets and (for a copy) the run's config; the machine check separately (it takes seconds). */
function loadForm(
  ctx: ViewContext,
  form: ReturnType<typeof createNewRunForm>,
  fromRunId: string | undefined,
  status: HTMLElement,
  fail: (i: ConfigIssue[]) => void,
): void {
  const { api } = ctx;
  const s = form.sections;
  const load = async (): Promise<void> => {
    const [deviceList, datasetList] = await Promise.all([api.listDevices(), api.listDatasets()]);
    s.devices.setDevices(deviceList);
    s.data.setDatasets(datasetList);
    if (fromRunId) {
      const { config } = await api.getRun(fromRunId);
      const error = form.fill(config, true);
      status.textContent = error ?? `Settings copied from run ${config.name ?? fromRunId}.`;
    } else {
      s.data.chooseBuiltin('iris');
      form.settle();
    }
    s.optimizer.refreshPreview();
    s.syncPreview();
  };
  load().catch((err: Error) => fail([{ path: '', message: `Could not load devices or datasets: ${err.message}` }]));
  api.doctor().then(
    (report) => s.devices.setDoctor(report),
    (err: Error) => s.devices.setDoctor({ error: err.message }),
  );
}
