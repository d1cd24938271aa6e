/**
 * The run page's System tab: each device's step time, samples per second and memory over the run
 * (resident set and its peak, beside the engine's pre-start estimate for one worker), sampled about
 * once a second by the engine. Loaded when first shown, then kept current by `device-history` events.
 */
import type { DeviceHistory, DeviceHistoryPoint, RendererApi } from '../../../../shared/api';
import { Chart } from '../../charts/chart';
import { h } from '../../dom';
import { formatBytes, formatMs, formatNumber } from '../../format';
import { deviceColumns, type DeviceColumns, type DeviceFigure } from './system-series';

export interface SystemTab {
  element: HTMLElement;
  shown(): void;
  add(points: DeviceHistoryPoint[]): void;
  dispose(): void;
}

export function createSystemTab(api: RendererApi, runId: string): SystemTab {
  let history: DeviceHistory = { memoryEstimateBytes: null, points: [] };
  let cols: DeviceColumns = deviceColumns([]);
  let loaded = false;
  const base = { followSettings: true, smoothable: false, sync: 'system', time: () => cols.times };
  const perDevice = (title: string, testid: string, figure: DeviceFigure, formatY: (v: number) => string): Chart =>
    new Chart({
      ...base,
      title,
      testid,
      formatY,
      series: [],
      data: () => [cols.steps, ...cols.columns[figure]],
    });
  const memory = new Chart({
    ...base,
    title: 'Memory per worker: resident, peak, estimate',
    testid: 'sys-chart-memory',
    formatY: formatBytes,
    series: [],
    data: () => {
      // The estimate is one flat line; it has a series only once there are devices to compare it with.
      const estimate = cols.deviceIds.length ? [cols.steps.map(() => history.memoryEstimateBytes ?? NaN)] : [];
      return [cols.steps, ...cols.columns.rssBytes, ...cols.columns.peakRssBytes, ...estimate];
    },
  });
  const charts = [
    perDevice('Step time per device', 'sys-chart-step-time', 'stepTimeMs', formatMs),
    perDevice('Samples / s per device', 'sys-chart-throughput', 'samplesPerSec', (v) => formatNumber(v, 3)),
    memory,
  ];
  const empty = h(
    'p',
    { class: 'muted empty-state', 'data-testid': 'sys-empty' },
    'No device samples yet: they are taken while the run trains.',
  );
  const grid = h(
    'div',
    { class: 'chart-grid' },
    charts.map((c) => h('div', { class: 'chart-cell' }, c.element)),
  );
  const update = (): void => {
    const known = cols.deviceIds.join();
    cols = deviceColumns(history.points);
    empty.hidden = history.points.length > 0;
    if (cols.deviceIds.join() !== known) {
      const series = (suffix: string, dash?: number[]) =>
        cols.deviceIds.map((d, i) => ({ label: `device ${d}${suffix}`, color: i, dash }));
      charts[0]!.setSeries(series(''));
      charts[1]!.setSeries(series(''));
      memory.setSeries([...series(' resident'), ...series(' peak', [2, 2]), { label: 'estimate', color: 7, dash: [6, 4] }]);
    }
    for (const c of charts) c.invalidate();
  };
  return {
    element: h('div', { class: 'system-tab', 'data-testid': 'system-tab' }, empty, grid),
    shown() {
      if (loaded) return;
      loaded = true;
      api.getDeviceHistory(runId).then(
        (got) => {
          const last = got.points.at(-1)?.step ?? -1;
          history = { ...got, points: [...got.points, ...history.points.filter((p) => p.step > last)] };
          update();
        },
        (err: Error) => (empty.textContent = `Could not load the device history: ${err.message}`),
      );
    },
    add(points) {
      history = { ...history, points: [...history.points, ...points] };
      if (loaded) update();
    },
    dispose() {
      for (const c of charts) c.destroy();
    },
  };
}
