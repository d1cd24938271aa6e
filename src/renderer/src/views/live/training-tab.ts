/** The run page's first tab: latest numbers, the training curves, the devices and the checkpoints. */
import type { DeviceStats, MetricPoint, RendererApi, RunDetail, RunMemory, RunStatus } from '../../../../shared/api';
import { h } from '../../dom';
import { createCheckpointPanel } from './checkpoint-panel';
import { createMetricCharts } from './metric-charts';
import { panel, renderDevices } from './panels';
import { RunMetrics } from './run-metrics';
import { createStatTiles } from './stat-tiles';

export interface TrainingTab {
  element: HTMLElement;
  readonly run: RunMetrics;
  append(points: MetricPoint[]): void;
  show(detail: RunDetail): void;
  setStatus(status: RunStatus): void;
  setDevices(devices: DeviceStats[]): void;
  dispose(): void;
}

export function createTrainingTab(api: RendererApi, runId: string): TrainingTab {
  const run = new RunMetrics();
  const charts = createMetricCharts(run);
  const tiles = createStatTiles(run);
  const checkpoints = createCheckpointPanel(api, runId);
  const devicesBody = h('div');
  /** The memory check's plan of the run's latest start, shown beside each worker's peak. */
  let memory: RunMemory | null = null;
  const devicesNote = h('p', { class: 'field-hint', hidden: true }, 'Last report: this run’s workers have exited.');
  const element = h(
    'div',
    null,
    tiles.element,
    charts.element,
    h(
      'div',
      { class: 'panels' },
      panel('Devices', h('div', null, devicesBody, devicesNote), 'devices-panel'),
      panel('Checkpoints', checkpoints.element, 'checkpoints-panel'),
    ),
  );
  return {
    element,
    run,
    append(points) {
      charts.update(run.append(points));
      tiles.invalidate();
    },
    show(d) {
      tiles.setTotalSteps(d.steps);
      memory = d.memory ?? null;
      renderDevices(devicesBody, d.devices, memory);
      checkpoints.show(d.checkpoints, d.name);
      const best = d.checkpoints.find((c) => c.best);
      charts.setMarkers(best ? [{ step: best.step, label: `best (step ${best.step})` }] : []);
    },
    setStatus(status) {
      tiles.setRunning(status === 'running');
      tiles.setCompleted(status === 'completed');
      devicesNote.hidden = !['stopped', 'completed', 'failed', 'interrupted'].includes(status);
    },
    setDevices: (devices) => renderDevices(devicesBody, devices, memory),
    dispose: () => charts.dispose(),
  };
}
