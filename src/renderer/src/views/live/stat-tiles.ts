/** The numbers above the charts: latest values and the ETA, refreshed at most once per frame. */
import { requestDraw, type Drawable } from '../../charts/draw-scheduler';
import { h } from '../../dom';
import { formatDuration, formatInt, formatMs, formatNumber } from '../../format';
import { type RunMetrics, metricColumn } from './run-metrics';

export interface StatTiles extends Drawable {
  element: HTMLElement;
  setTotalSteps(steps: number): void;
  setRunning(running: boolean): void;
  /** A completed run (early-stopped or not) fills the progress bar: it has nothing left to do. */
  setCompleted(completed: boolean): void;
  invalidate(): void;
}

function tile(label: string, testid: string): { el: HTMLElement; value: HTMLElement } {
  const value = h('dd', { 'data-testid': testid }, '—');
  return { el: h('div', { class: 'tile' }, h('dt', null, label), value), value };
}

export function createStatTiles(run: RunMetrics): StatTiles {
  let total = 0;
  let running = false;
  let completed = false;
  const tiles = {
    step: tile('Step', 'stat-step'),
    loss: tile('Loss', 'stat-loss'),
    lr: tile('Learning rate', 'stat-lr'),
    grad: tile('Grad norm', 'stat-grad-norm'),
    sps: tile('Samples / s', 'stat-throughput'),
    stepTime: tile('Step time', 'stat-step-time'),
    eta: tile('ETA', 'stat-eta'),
  };
  const metricValues: HTMLElement[] = [];
  const progress = h('progress', { max: 1, value: 0, 'data-testid': 'run-progress', 'aria-label': 'Progress' });
  const list = h(
    'dl',
    { class: 'tiles' },
    Object.values(tiles).map((t) => t.el),
  );
  const element = h('div', { class: 'stats' }, progress, list);
  const { store } = run;

  const self: StatTiles = {
    element,
    setTotalSteps(steps) {
      total = steps;
      self.invalidate();
    },
    setRunning(value) {
      running = value;
      self.invalidate();
    },
    setCompleted(value) {
      completed = value;
      self.invalidate();
    },
    invalidate: () => requestDraw(self),
    draw() {
      const step = store.length ? run.lastStep : null;
      tiles.step.value.textContent = `${formatInt(step)} / ${formatInt(total)}`;
      tiles.loss.value.textContent = formatNumber(store.last('loss'));
      tiles.lr.value.textContent = formatNumber(store.last('learningRate'));
      tiles.grad.value.textContent = formatNumber(store.last('gradNorm'));
      tiles.sps.value.textContent = formatInt(store.last('samplesPerSec'));
      tiles.stepTime.value.textContent = formatMs(store.last('stepTimeMs'));
      tiles.eta.value.textContent = running ? formatDuration(run.etaMs(total)) : '—';
      progress.max = Math.max(1, total);
      progress.value = completed ? progress.max : step === null ? 0 : Math.min(total, step);
      progress.dataset.complete = String(completed);
      // Metric tiles (accuracy, mae…) appear as the model reports them.
      for (const name of run.metricNames.slice(metricValues.length)) {
        const t = tile(name, `stat-metric-${name}`);
        list.insertBefore(t.el, tiles.lr.el);
        metricValues.push(t.value);
      }
      run.metricNames.forEach((n, i) => {
        metricValues[i].textContent = formatNumber(store.lastFinite(metricColumn(n)));
      });
    },
  };
  return self;
}
