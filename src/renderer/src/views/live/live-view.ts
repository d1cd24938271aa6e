/**
 * One run, live: curves, latest numbers, controls, devices and checkpoints. History comes from
 * `getMetrics`; events that arrive while it loads are buffered and applied after, in order.
 */
import type { RunDetail, RunMemory, RunStatus, TrainerEvent } from '../../../../shared/api';
import { debounce, h, isTypingTarget, replaceChildren } from '../../dom';
import { formatTime } from '../../format';
import { downloadKerasArchive, exportCsv, exportRunFolder } from '../../run-actions';
import { toast } from '../../toast';
import type { View, ViewContext } from '../../view';
import { createRunControls } from './controls';
import { elsewhereBadge, followElsewhere } from './follow-elsewhere';
import { createMetricCharts } from './metric-charts';
import { panel, renderCheckpoints, renderDevices } from './panels';
import { RunMetrics } from './run-metrics';
import { createStatTiles } from './stat-tiles';

export function statusBadge(status: RunStatus, testid = 'run-status'): HTMLElement {
  return h('span', { class: `badge badge-${status}`, 'data-testid': testid, 'data-status': status }, status);
}

export function createLiveView(ctx: ViewContext, runId: string): View {
  const { api } = ctx;
  ctx.setLastRun(runId);
  const run = new RunMetrics();
  const charts = createMetricCharts(run);
  const tiles = createStatTiles(run);
  let detail: RunDetail | null = null;
  let loaded = false;
  /** The memory check's plan of the run's latest start, shown beside each worker's peak. */
  let memory: RunMemory | null = null;
  const buffered: TrainerEvent[] = [];

  const title = h('h1', { 'data-testid': 'run-name' }, 'Loading run…');
  const statusSlot = h('span');
  const meta = h('p', { class: 'lead' });
  const banners = h('div', { class: 'banners' });
  const devicesBody = h('div');
  const devicesNote = h('p', { class: 'field-hint', hidden: true }, 'Last report: this run’s workers have exited.');
  const checkpointsBody = h('div');
  const refresh = debounce(() => void loadDetail(), 300);
  const controls = createRunControls(api, runId, (err) => (err ? toast(err.message, 'error') : refresh()));
  const button = (label: string, testid: string, onClick: () => void): HTMLButtonElement => {
    const b = h('button', { type: 'button', class: 'button', 'data-testid': testid }, label);
    b.addEventListener('click', onClick);
    return b;
  };
  const name = (): string => detail?.name ?? runId;
  const elsewhereNote = h('p', { class: 'banner banner-info', role: 'status', 'data-testid': 'elsewhere-banner', hidden: true });
  const follower = followElsewhere(
    api,
    runId,
    () => run.lastStep,
    (points) => {
      charts.update(run.append(points));
      tiles.invalidate();
    },
    (d) => applyDetail(d),
  );

  const setStatus = (status: RunStatus): void => {
    replaceChildren(statusSlot, statusBadge(status), detail && elsewhereBadge(detail));
    controls.setStatus(status, detail?.elsewhere !== undefined);
    tiles.setRunning(status === 'running');
    devicesNote.hidden = !['stopped', 'completed', 'failed', 'interrupted'].includes(status);
  };

  const showBanner = (text: string, testid: string): void => {
    const dismiss = h('button', { type: 'button', class: 'icon-button', 'aria-label': 'Dismiss' }, '×');
    const banner = h(
      'div',
      { class: 'banner banner-error', role: 'alert', 'data-testid': testid },
      h('span', null, text),
      dismiss,
    );
    dismiss.addEventListener('click', () => banner.remove());
    banners.appendChild(banner);
  };

  const applyDetail = (d: RunDetail): void => {
    detail = d;
    title.textContent = d.name;
    document.title = `${d.name} · dtrain`;
    meta.textContent = `Mesh ${d.mesh} · ${d.steps.toLocaleString('en-US')} steps · batch ${d.config.globalBatchSize} · started ${formatTime(d.createdAt)}`;
    setStatus(d.status);
    tiles.setTotalSteps(d.steps);
    memory = d.memory ?? null;
    renderDevices(devicesBody, d.devices, memory);
    renderCheckpoints(checkpointsBody, d.checkpoints);
    banners.querySelector('[data-testid="run-error"]')?.remove();
    if (d.status === 'failed' && d.error) showBanner(`Run failed: ${d.error}`, 'run-error');
    elsewhereNote.hidden = !d.elsewhere;
    if (d.elsewhere)
      elsewhereNote.textContent = `Trained by another dtrain process (pid ${d.elsewhere.pid} on ${d.elsewhere.host}). This view follows its progress from the database; pause or stop it where it runs.`;
    follower.sync(d);
  };

  const apply = (e: TrainerEvent): void => {
    if (e.type === 'metrics') {
      charts.update(run.append(e.points));
      tiles.invalidate();
    } else if (e.type === 'status') {
      setStatus(e.status);
      if (e.status !== 'running') refresh();
    } else if (e.type === 'devices') {
      renderDevices(devicesBody, e.devices, memory);
    } else if (e.type === 'checkpoint') {
      refresh(); // the list also loses pruned checkpoints: take it from the engine
    } else if (e.type === 'worker-crash') {
      showBanner(`Worker for device ${e.deviceId} crashed: ${e.reason}`, 'crash-banner');
    }
  };

  const stop = api.onEvent((e) => {
    if (!('runId' in e) || e.runId !== runId) return;
    if (loaded) apply(e);
    else buffered.push(e);
  });

  const loadDetail = async (): Promise<void> => {
    try {
      applyDetail(await api.getRun(runId));
    } catch (err) {
      toast(`Could not refresh the run: ${(err as Error).message}`, 'error');
    }
  };

  const load = async (): Promise<void> => {
    const [d, points] = await Promise.all([api.getRun(runId), api.getMetrics(runId)]);
    applyDetail(d);
    const newMetric = run.append(points);
    loaded = true;
    for (const e of buffered.splice(0)) apply(e);
    charts.update(newMetric);
    tiles.invalidate();
  };
  load().catch((err: Error) => {
    title.textContent = 'Run not available';
    showBanner(`Could not open run ${runId}: ${err.message}`, 'run-load-error');
  });

  const element = h(
    'div',
    { class: 'view view-live', 'data-testid': 'view-live', 'data-run-id': runId },
    h(
      'div',
      { class: 'view-header run-header' },
      h('div', null, h('div', { class: 'title-row' }, title, statusSlot), meta),
      h(
        'div',
        { class: 'header-actions' },
        controls.element,
        h('a', { class: 'button', href: `#/new/${encodeURIComponent(runId)}`, 'data-testid': 'duplicate-run' }, 'Duplicate'),
        button('Export CSV', 'export-csv', () => void exportCsv(api, runId, name())),
        button('Export run', 'export-run', () => void exportRunFolder(api, runId, name())),
        button('Export .keras', 'export-keras', () => void downloadKerasArchive(api, runId, name())),
      ),
    ),
    elsewhereNote,
    banners,
    tiles.element,
    charts.element,
    h(
      'div',
      { class: 'panels' },
      panel('Devices', h('div', null, devicesBody, devicesNote), 'devices-panel'),
      panel('Checkpoints', checkpointsBody, 'checkpoints-panel'),
    ),
  );

  return {
    element,
    title: 'Run',
    dispose() {
      stop();
      refresh.cancel();
      follower.dispose();
      charts.dispose();
    },
    onKey(e) {
      if (e.ctrlKey || e.metaKey || isTypingTarget(e.target)) return false;
      if (e.key === 'p' || e.key === 'P') controls.togglePause();
      else if (e.key === 'x' || e.key === 'X') controls.askStop();
      else return false;
      return true;
    },
  };
}
