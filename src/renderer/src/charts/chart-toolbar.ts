/** The controls above a chart grid: smoothing slider, log-scale y, x by step, relative or wall-clock time. */
import { h } from '../dom';
import { chartSettings, onChartSettings, setChartSettings, type ChartSettings } from './chart-settings';

export interface ChartToolbar {
  element: HTMLElement;
  dispose(): void;
}

export function createChartToolbar(): ChartToolbar {
  const s = chartSettings();
  const slider = h('input', {
    type: 'range',
    id: 'chart-smoothing',
    min: 0,
    max: 0.99,
    step: 0.01,
    value: String(s.smoothing),
    'data-testid': 'chart-smoothing',
  });
  const shown = h('output', { for: 'chart-smoothing', class: 'smoothing-value', 'data-testid': 'chart-smoothing-value' });
  const log = h('input', { type: 'checkbox', id: 'chart-log', checked: s.logY, 'data-testid': 'chart-log' });
  const x = h(
    'select',
    { id: 'chart-x', 'data-testid': 'chart-x' },
    h('option', { value: 'step' }, 'Step'),
    h('option', { value: 'time' }, 'Relative time'),
    h('option', { value: 'wall' }, 'Wall clock'),
  );
  x.value = s.x;
  const sync = (v: ChartSettings): void => {
    slider.value = String(v.smoothing);
    shown.textContent = v.smoothing.toFixed(2);
    log.checked = v.logY;
    x.value = v.x;
  };
  sync(s);
  slider.addEventListener('input', () => setChartSettings({ smoothing: Number(slider.value) }));
  log.addEventListener('change', () => setChartSettings({ logY: log.checked }));
  x.addEventListener('change', () => setChartSettings({ x: x.value === 'time' || x.value === 'wall' ? x.value : 'step' }));
  const stop = onChartSettings(sync);
  return {
    element: h(
      'div',
      { class: 'chart-toolbar', role: 'group', 'aria-label': 'Chart display' },
      h('label', { for: 'chart-smoothing', class: 'toolbar-item' }, 'Smoothing', slider, shown),
      h('label', { for: 'chart-log', class: 'toolbar-item' }, log, 'Log scale'),
      h('label', { for: 'chart-x', class: 'toolbar-item' }, 'X axis', x),
    ),
    dispose: stop,
  };
}
