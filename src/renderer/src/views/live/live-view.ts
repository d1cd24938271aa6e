/**
 * One run's page: header with controls, notices, and four tabs — training curves with devices and
 * checkpoints, the optimizer's state, the system, the config with tags and notes. A run id the
 * database does not know gets a not-found page.
 */
import type { RunDetail, RunStatus, TrainerEvent } from '../../../../shared/api';
import { debounce, h, isTypingTarget, replaceChildren } from '../../dom';
import type { RunTab } from '../../router';
import { toast } from '../../toast';
import type { View, ViewContext } from '../../view';
import { createChartToolbar } from '../../charts/chart-toolbar';
import { createOptimizerTab } from '../optimizer/optimizer-tab';
import { createSystemTab } from '../system/system-tab';
import { createConfigPanel } from './config-panel';
import { createRunBanners } from './run-banners';
import { startRunFeed } from './run-feed';
import { createRunHeader } from './run-header';
import { runNotFound } from './run-not-found';
import { createRunTabs } from './run-tabs';
import { createTrainingTab } from './training-tab';

export { statusBadge } from './run-header';

/** The four tabs of a run's page and what each shows. */
function createRunTabsFor(api: ViewContext['api'], runId: string, tab: RunTab | undefined, onEdited: () => void) {
  const training = createTrainingTab(api, runId);
  const optimizer = createOptimizerTab(api, runId);
  const system = createSystemTab(api, runId);
  const config = createConfigPanel(api, runId, onEdited);
  const toolbar = createChartToolbar();
  const tabs = createRunTabs(
    runId,
    [
      { id: 'training', label: 'Training', panel: training.element },
      { id: 'optimizer', label: 'Optimizer state', panel: optimizer.element, onShow: () => optimizer.shown() },
      { id: 'system', label: 'System', panel: system.element, onShow: () => system.shown() },
      { id: 'config', label: 'Config & notes', panel: config.element },
    ],
    tab,
    toolbar.element,
  );
  return { training, optimizer, system, config, tabs, toolbar };
}

export function createLiveView(ctx: ViewContext, runId: string, tab?: RunTab): View {
  const { api } = ctx;
  let detail: RunDetail | null = null;
  const refresh = debounce(
    () => feed.refresh().catch((err: Error) => toast(`Could not refresh the run: ${err.message}`, 'error')),
    300,
  );
  const header = createRunHeader(api, runId, (err) => (err ? toast(err.message, 'error') : refresh()));
  const banners = createRunBanners();
  const { training, optimizer, system, config, tabs, toolbar } = createRunTabsFor(api, runId, tab, () => refresh());
  const setStatus = (status: RunStatus): void => {
    header.setStatus(status, detail);
    training.setStatus(status);
  };
  const applyDetail = (d: RunDetail): void => {
    if (!detail) ctx.setLastRun(runId); // a run that exists: the L shortcut may come back to it
    detail = d;
    document.title = `${d.name} · dtrain`;
    header.show(d);
    setStatus(d.status);
    banners.show(d);
    training.show(d);
    optimizer.show(d);
    config.show(d);
  };
  const onEvent = (e: TrainerEvent): void => {
    if (e.type === 'metrics') training.append(e.points);
    else if (e.type === 'status') {
      setStatus(e.status);
      if (e.status !== 'running') refresh();
    } else if (e.type === 'devices') training.setDevices(e.devices);
    else if (e.type === 'checkpoint')
      refresh(); // the list also loses pruned checkpoints: take it from the engine
    else if (e.type === 'worker-crash') banners.crash(e.deviceId, e.reason);
    else if (e.type === 'optimizer-stats') optimizer.add(e.points);
    else if (e.type === 'device-history') system.add(e.points);
  };
  const element = h(
    'div',
    { class: 'view view-live', 'data-testid': 'view-live', 'data-run-id': runId },
    header.element,
    banners.element,
    tabs.element,
  );
  const feed = startRunFeed(api, runId, () => training.run.lastStep, {
    detail: applyDetail,
    points: (p) => training.append(p),
    event: onEvent,
    notFound: (message) => replaceChildren(element, runNotFound(runId, message)),
    failed: (message) => {
      header.unavailable('Run not available');
      banners.alert(`Could not open run ${runId}: ${message}`, 'run-load-error');
    },
  });
  tabs.select(tab ?? 'training');
  return {
    element,
    title: 'Run',
    dispose() {
      feed.dispose();
      refresh.cancel();
      for (const part of [training, optimizer, system, toolbar]) part.dispose();
    },
    onKey(e) {
      if (e.ctrlKey || e.metaKey || isTypingTarget(e.target)) return false;
      if (e.key === 'p' || e.key === 'P') header.controls.togglePause();
      else if (e.key === 'x' || e.key === 'X') header.controls.askStop();
      else return false;
      return true;
    },
  };
}
