/**
 * A parallel-coordinates plot of a sweep in SVG: one vertical axis per hyperparameter and one for the
 * objective, one line per trial, coloured by its objective (worst orange … best blue). The best trial
 * is drawn thick, pruned trials dashed; the axes and their labels are drawn over the lines (with a
 * halo) so they stay readable, and let clicks through to the lines. Hovering a line names the trial,
 * clicking it opens its run.
 */
import type { SweepDetail, SweepTrial } from '../../../../shared/api';
import { formatNumber } from '../../format';
import { objectiveColors, type ObjectiveColor } from './objective-colors';
import { makeAxis, type Axis } from './parallel-axes';
import { svg } from './svg';

const PAD = { top: 28, bottom: 34, left: 56, right: 56 };

interface Geometry {
  axes: Axis[];
  xAt(i: number): number;
  yAt(p: number, isObjective: boolean): number;
  height: number;
  plotH: number;
}

/** The hyperparameters a sweep varies: its space's keys, then any other key a trial set. */
export function sweepKeys(sweep: SweepDetail): string[] {
  return [...new Set([...Object.keys(sweep.space), ...sweep.trials.flatMap((t) => Object.keys(t.settings))])];
}

function geometry(sweep: SweepDetail, width: number, height: number): Geometry {
  const axes = [
    ...sweepKeys(sweep).map((k) =>
      makeAxis(
        k,
        sweep.trials.map((t) => t.settings[k]),
      ),
    ),
    makeAxis(
      sweep.objective.monitor,
      sweep.trials.map((t) => t.objective),
    ),
  ];
  const plotW = Math.max(1, width - PAD.left - PAD.right);
  const plotH = height - PAD.top - PAD.bottom;
  return {
    axes,
    height,
    plotH,
    xAt: (i) => PAD.left + (axes.length === 1 ? plotW / 2 : (i * plotW) / (axes.length - 1)),
    // Lower is better for a minimised objective: draw the best at the top either way.
    yAt: (p, isObjective) => PAD.top + (isObjective && sweep.objective.mode === 'min' ? p : 1 - p) * plotH,
  };
}

function trialLine(
  sweep: SweepDetail,
  t: SweepTrial,
  g: Geometry,
  best: boolean,
  color: ObjectiveColor,
  onOpen: (t: SweepTrial) => void,
) {
  const last = g.axes.length - 1;
  const pts = g.axes.flatMap((axis, i) => {
    const p = axis.position(i === last ? t.objective : t.settings[axis.key]);
    return p === null ? [] : [`${g.xAt(i).toFixed(1)},${g.yAt(p, i === last).toFixed(1)}`];
  });
  const cls = [
    'pc-line',
    best ? 'pc-best' : '',
    t.status === 'pruned' ? 'pc-pruned' : '',
    t.objective === null ? 'pc-pending' : '',
  ];
  const line = svg('polyline', {
    points: pts.join(' '),
    class: cls.filter(Boolean).join(' '),
    stroke: color(t.objective),
    'data-trial': t.index,
    tabindex: t.runId ? 0 : -1,
  });
  const settings = Object.entries(t.settings)
    .map(([k, v]) => `${k} = ${JSON.stringify(v)}`)
    .join(', ');
  line.append(
    svg('title', {}, `Trial #${t.index} (${t.status}): ${settings}; ${sweep.objective.monitor} ${formatNumber(t.objective)}`),
  );
  if (t.runId) {
    line.addEventListener('click', () => onOpen(t));
    line.addEventListener('keydown', (e) => e.key === 'Enter' && onOpen(t));
  }
  return line;
}

function axisGroup(sweep: SweepDetail, axis: Axis, i: number, g: Geometry): SVGGElement {
  const isObj = i === g.axes.length - 1;
  const group = svg('g', { class: `pc-axis${isObj ? ' pc-objective' : ''}`, 'data-axis': axis.key });
  group.append(svg('line', { x1: g.xAt(i), x2: g.xAt(i), y1: PAD.top, y2: PAD.top + g.plotH }));
  for (const t of axis.ticks)
    group.append(svg('text', { x: g.xAt(i) + 5, y: g.yAt(t.at, isObj) + 3, class: 'pc-tick' }, t.label));
  const name = isObj ? `${axis.key} (${sweep.objective.mode})` : axis.key.replace(/^optimizer\./, '');
  group.append(
    svg('text', { x: g.xAt(i), y: g.height - 10, 'text-anchor': 'middle', class: 'pc-label' }, svg('title', {}, axis.key), name),
  );
  return group;
}

export function parallelCoordinates(
  sweep: SweepDetail,
  onOpen: (trial: SweepTrial) => void,
  width: number,
  height = 300,
): SVGSVGElement {
  const g = geometry(sweep, width, height);
  const bestIndex = sweep.best ? sweep.trials.find((t) => t.runId === sweep.best!.runId)?.index : undefined;
  const color = objectiveColors(
    sweep.trials.map((t) => t.objective),
    sweep.objective.mode,
  );
  const root = svg('svg', {
    width,
    height,
    viewBox: `0 0 ${width} ${height}`,
    class: 'parallel-coords',
    role: 'img',
    'data-testid': 'parallel-coords',
    'data-axes': g.axes.map((a) => a.key).join(','),
  });
  root.append(svg('title', {}, `Parallel coordinates: ${sweepKeys(sweep).join(', ')} against ${sweep.objective.monitor}`));
  // Best last, so it is drawn on top of the other lines; the axes after every line.
  const ordered = [...sweep.trials].sort((a, b) => (a.index === bestIndex ? 1 : 0) - (b.index === bestIndex ? 1 : 0));
  for (const t of ordered) root.append(trialLine(sweep, t, g, t.index === bestIndex, color, onOpen));
  g.axes.forEach((axis, i) => root.append(axisGroup(sweep, axis, i, g)));
  return root;
}
