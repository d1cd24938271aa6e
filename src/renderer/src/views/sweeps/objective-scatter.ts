/**
 * One small scatter plot per hyperparameter: its value (x, log when the values span decades, as the
 * parallel axes) against the objective (y, best at the top), a dot per trial that has an objective,
 * coloured like its line in the parallel-coordinates plot; the best trial ringed.
 */
import type { SweepDetail, SweepTrial } from '../../../../shared/api';
import { formatNumber } from '../../format';
import type { ObjectiveColor } from './objective-colors';
import { makeAxis } from './parallel-axes';
import { svg } from './svg';

const W = 260;
const H = 180;
const PAD = { top: 12, right: 12, bottom: 34, left: 48 };

export function objectiveScatter(
  sweep: SweepDetail,
  key: string,
  color: ObjectiveColor,
  onOpen: (t: SweepTrial) => void,
): SVGSVGElement {
  const trials = sweep.trials.filter((t) => t.objective !== null && t.settings[key] !== undefined);
  const x = makeAxis(
    key,
    trials.map((t) => t.settings[key]),
  );
  const y = makeAxis(
    sweep.objective.monitor,
    trials.map((t) => t.objective),
  );
  const px = (p: number) => PAD.left + p * (W - PAD.left - PAD.right);
  const py = (p: number) => PAD.top + (sweep.objective.mode === 'min' ? p : 1 - p) * (H - PAD.top - PAD.bottom);
  const root = svg('svg', {
    width: W,
    height: H,
    viewBox: `0 0 ${W} ${H}`,
    class: 'objective-scatter',
    role: 'img',
    'data-testid': `scatter-${key}`,
    'data-kind': x.kind,
  });
  root.append(svg('title', {}, `${sweep.objective.monitor} against ${key}`));
  root.append(
    svg('rect', {
      x: PAD.left,
      y: PAD.top,
      width: W - PAD.left - PAD.right,
      height: H - PAD.top - PAD.bottom,
      class: 'scatter-frame',
    }),
  );
  for (const t of x.ticks)
    root.append(svg('text', { x: px(t.at), y: H - 20, 'text-anchor': 'middle', class: 'pc-tick' }, t.label));
  for (const t of y.ticks)
    root.append(svg('text', { x: PAD.left - 4, y: py(t.at) + 3, 'text-anchor': 'end', class: 'pc-tick' }, t.label));
  root.append(
    svg(
      'text',
      { x: PAD.left + (W - PAD.left - PAD.right) / 2, y: H - 4, 'text-anchor': 'middle', class: 'pc-label' },
      key.replace(/^optimizer\./, ''),
    ),
  );
  for (const t of trials) {
    const best = sweep.best?.runId === t.runId;
    const dot = svg('circle', {
      cx: px(x.position(t.settings[key])!),
      cy: py(y.position(t.objective)!),
      r: best ? 6 : 4.5,
      fill: color(t.objective),
      class: best ? 'scatter-dot scatter-best' : 'scatter-dot',
      'data-trial': t.index,
    });
    dot.append(
      svg(
        'title',
        {},
        `Trial #${t.index}: ${key} = ${JSON.stringify(t.settings[key])}, ${sweep.objective.monitor} ${formatNumber(t.objective)}`,
      ),
    );
    if (t.runId) dot.addEventListener('click', () => onOpen(t));
    root.append(dot);
  }
  return root;
}
