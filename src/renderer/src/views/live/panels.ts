/** The run page's device panel (per-device stats) and the panel frame. */
import type { DeviceStats, RunMemory } from '../../../../shared/api';
import { h, replaceChildren } from '../../dom';
import { formatBytes, formatMs } from '../../format';

/** Headers ending in '#' label numeric (right-aligned) columns. */
function th(label: string): HTMLTableCellElement {
  const num = label.endsWith('#');
  return h('th', { scope: 'col', class: num ? 'num' : null }, num ? label.slice(0, -1) : label);
}

function table(testid: string, headers: string[], rows: HTMLTableRowElement[], empty: string): HTMLElement {
  if (rows.length === 0) return h('p', { class: 'muted', 'data-testid': `${testid}-empty` }, empty);
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'table', 'data-testid': testid },
      h('thead', null, h('tr', null, headers.map(th))),
      h('tbody', null, rows),
    ),
  );
}

/**
 * One row per worker: its shards, resident and peak memory, and the memory check's estimate of a
 * worker's peak beside the peak (docs/architecture.md, "The memory model").
 */
export function renderDevices(parent: HTMLElement, devices: DeviceStats[], memory: RunMemory | null = null): void {
  const estimate = memory ? formatBytes(memory.estimateBytes) : '–';
  const rows = [...devices]
    .sort((a, b) => a.deviceId - b.deviceId)
    .map((d) =>
      h(
        'tr',
        { 'data-testid': `device-row-${d.deviceId}` },
        h('td', null, `#${d.deviceId}`),
        h('td', null, h('span', { class: 'tag' }, d.backend)),
        h('td', { class: 'num' }, String(d.pid)),
        h('td', { class: 'num' }, formatBytes(d.shardBytes)),
        h('td', { class: 'num' }, formatBytes(d.rssBytes)),
        h('td', { class: 'num', 'data-testid': `device-peak-${d.deviceId}` }, d.peakRssBytes ? formatBytes(d.peakRssBytes) : '–'),
        h('td', { class: 'num', 'data-testid': `device-estimate-${d.deviceId}` }, estimate),
        h('td', { class: 'num' }, formatMs(d.stepTimeMs)),
      ),
    );
  const mode = memory ? (memory.fullySharded ? 'Parameters fully sharded.' : 'Parameters gathered after each update.') : '';
  replaceChildren(
    parent,
    table(
      'device-table',
      ['Device', 'Backend', 'PID#', 'Shards#', 'RSS#', 'Peak RSS#', 'Estimate#', 'Step time#'],
      rows,
      'No workers running.',
    ),
    ...(memory && devices.length > 0 ? [h('p', { class: 'muted', 'data-testid': 'memory-mode' }, mode)] : []),
  );
}

export function panel(title: string, body: HTMLElement, testid: string): HTMLElement {
  return h('section', { class: 'panel', 'data-testid': testid, 'aria-label': title }, h('h2', null, title), body);
}
