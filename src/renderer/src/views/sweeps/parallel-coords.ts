/**
 * A parallel-coordinates plot of a sweep in SVG: one vertical axis per hyperparameter and one for the
 * objective, one line per trial. The best trial is drawn thick in the accent colour, pruned trials
 * dashed; hovering a line names the trial, clicking it opens its run.
 */
import type { SweepDetail, SweepTrial } from '../../../../shared/api';
import { formatNumber } from '../../format';
import { makeAxis, type Axis } from './parallel-axes';

const NS = 'http://www.w3.org/2000/svg';
const svg = <K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number>,
  ...children: (Node | string)[]
): SVGElementTagNameMap[K] => {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  el.append(...children);
  return el;
};

const PAD = { top: 28, bottom: 34, left: 56, right: 56 };

export function parallelCoordinates(
  sweep: SweepDetail,
  onOpen: (trial: SweepTrial) => void,
  width: number,
  height = 300,
): SVGSVGElement {
  const keys = [...new Set([...Object.keys(sweep.space), ...sweep.trials.flatMap((t) => Object.keys(t.settings))])];
  const axes: Axis[] = keys.map((k) =>
    makeAxis(
      k,
      sweep.trials.map((t) => t.settings[k]),
    ),
  );
  const objective = makeAxis(
    sweep.objective.monitor,
    sweep.trials.map((t) => t.objective),
  );
  const all = [...axes, objective];
  const plotW = Math.max(1, width - PAD.left - PAD.right);
  const plotH = height - PAD.top - PAD.bottom;
  const xAt = (i: number) => PAD.left + (all.length === 1 ? plotW / 2 : (i * plotW) / (all.length - 1));
  // Lower is better for a minimised objective: draw the best at the top either way.
  const yAt = (p: number, isObjective: boolean) => PAD.top + (isObjective && sweep.objective.mode === 'min' ? p : 1 - p) * plotH;
  const bestIndex = sweep.best ? sweep.trials.find((t) => t.runId === sweep.best!.runId)?.index : undefined;

  const root = svg('svg', {
    width,
    height,
    viewBox: `0 0 ${width} ${height}`,
    class: 'parallel-coords',
    role: 'img',
    'data-testid': 'parallel-coords',
    'data-axes': all.map((a) => a.key).join(','),
  });
  root.append(svg('title', {}, `Parallel coordinates: ${keys.join(', ')} against ${sweep.objective.monitor}`));

  all.forEach((axis, i) => {
    const isObj = i === all.length - 1;
    const g = svg('g', { class: `pc-axis${isObj ? ' pc-objective' : ''}`, 'data-axis': axis.key });
    g.append(svg('line', { x1: xAt(i), x2: xAt(i), y1: PAD.top, y2: PAD.top + plotH }));
    for (const t of axis.ticks) {
      g.append(svg('text', { x: xAt(i) + 5, y: yAt(t.at, isObj) + 3, class: 'pc-tick' }, t.label));
    }
    const name = isObj ? `${axis.key} (${sweep.objective.mode})` : axis.key.replace(/^optimizer\./, '');
    g.append(
      svg('text', { x: xAt(i), y: height - 10, 'text-anchor': 'middle', class: 'pc-label' }, svg('title', {}, axis.key), name),
    );
    root.append(g);
  });

  // Best last, so it is drawn on top.
  const ordered = [...sweep.trials].sort((a, b) => (a.index === bestIndex ? 1 : 0) - (b.index === bestIndex ? 1 : 0));
  for (const t of ordered) {
    const pts: string[] = [];
    all.forEach((axis, i) => {
      const isObj = i === all.length - 1;
      const p = axis.position(isObj ? t.objective : t.settings[axis.key]);
      if (p !== null) pts.push(`${xAt(i).toFixed(1)},${yAt(p, isObj).toFixed(1)}`);
    });
    const cls = [
      'pc-line',
      t.index === bestIndex ? 'pc-best' : '',
      t.status === 'pruned' ? 'pc-pruned' : '',
      t.objective === null ? 'pc-pending' : '',
    ]
      .filter(Boolean)
      .join(' ');
    const line = svg('polyline', { points: pts.join(' '), class: cls, 'data-trial': t.index, tabindex: t.runId ? 0 : -1 });
    const settings = Object.entries(t.settings)
      .map(([k, v]) => `${k} = ${JSON.stringify(v)}`)
      .join(', ');
    line.append(
      svg('title', {}, `Trial #${t.index} (${t.status}): ${settings}; ${sweep.objective.monitor} ${formatNumber(t.objective)}`),
    );
    if (t.runId) {
      line.addEventListener('click', () => onOpen(t));
      line.addEventListener('keydown', (e) => {
        if (e.key === 'Enter') onOpen(t);
      });
    }
    root.append(line);
  }
  return root;
}
