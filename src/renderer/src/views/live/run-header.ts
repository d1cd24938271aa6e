/** A run page's header: name and status, what it runs on, and its controls and exports. */
import type { RendererApi, RunDetail, RunStatus } from '../../../../shared/api';
import { h, replaceChildren } from '../../dom';
import { formatTime } from '../../format';
import { downloadKerasArchive, exportCsv, exportRunFolder } from '../../run-actions';
import { createRunControls, type RunControls } from './controls';
import { elsewhereBadge } from './follow-elsewhere';

export interface RunHeader {
  element: HTMLElement;
  controls: RunControls;
  show(detail: RunDetail): void;
  setStatus(status: RunStatus, detail: RunDetail | null): void;
  /** The run could not be loaded: a title says so, the actions go. */
  unavailable(title: string): void;
}

export function statusBadge(status: RunStatus, testid = 'run-status'): HTMLElement {
  return h('span', { class: `badge badge-${status}`, 'data-testid': testid, 'data-status': status }, status);
}

function button(label: string, testid: string, onClick: () => void): HTMLButtonElement {
  const b = h('button', { type: 'button', class: 'button', 'data-testid': testid }, label);
  b.addEventListener('click', onClick);
  return b;
}

export function createRunHeader(api: RendererApi, runId: string, onControl: (err: Error | null) => void): RunHeader {
  let name = runId;
  const title = h('h1', { 'data-testid': 'run-name' }, 'Loading run…');
  const statusSlot = h('span');
  const meta = h('p', { class: 'lead' });
  const controls = createRunControls(api, runId, onControl);
  const actions = h(
    'div',
    { class: 'header-actions' },
    controls.element,
    h('a', { class: 'button', href: `#/new/${encodeURIComponent(runId)}`, 'data-testid': 'duplicate-run' }, 'Duplicate'),
    button('Export CSV', 'export-csv', () => void exportCsv(api, runId, name)),
    button('Export run', 'export-run', () => void exportRunFolder(api, runId, name)),
    button('Export .keras', 'export-keras', () => void downloadKerasArchive(api, runId, name)),
  );
  const element = h(
    'div',
    { class: 'view-header run-header' },
    h('div', null, h('div', { class: 'title-row' }, title, statusSlot), meta),
    actions,
  );
  return {
    element,
    controls,
    show(d) {
      name = d.name;
      title.textContent = d.name;
      const steps = `${d.steps.toLocaleString('en-US')} steps`;
      meta.textContent = `Mesh ${d.mesh} · ${steps} · batch ${d.config.globalBatchSize} · started ${formatTime(d.createdAt)}`;
    },
    setStatus(status, d) {
      replaceChildren(statusSlot, statusBadge(status), d && elsewhereBadge(d));
      controls.setStatus(status, d?.elsewhere !== undefined);
    },
    unavailable(text) {
      title.textContent = text;
      actions.remove();
    },
  };
}
