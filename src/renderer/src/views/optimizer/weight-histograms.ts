/**
 * A variable's weight histograms over time, as TensorBoard's "offset" histogram view draws them: one
 * ridge per recorded step (at most 12, evenly spread, the newest included), oldest at the back (top),
 * newest in front, sharing one value axis; each ridge's height is its counts over the largest count.
 */
import type { OptimizerStatsPoint } from '../../../../shared/api';
import { formatNumber } from '../../format';

const NS = 'http://www.w3.org/2000/svg';
const MAX_RIDGES = 12;
const PAD = { left: 56, right: 16, top: 12, bottom: 28 };

function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number>,
  text?: string,
): SVGElementTagNameMap[K] {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

/** Up to `max` indices spread evenly over 0..n−1, always including the last. */
export function spreadIndices(n: number, max = MAX_RIDGES): number[] {
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  return Array.from({ length: max }, (_, i) => Math.round((i * (n - 1)) / (max - 1)));
}

/** Each ridge's own height, and the room between two ridges' baselines (one label line). */
const RIDGE = 70;
const GAP = 20;

export function weightHistograms(points: readonly OptimizerStatsPoint[], path: string, width: number): SVGSVGElement {
  const hists = points.flatMap((p) => {
    const h = p.variables.find((v) => v.path === path)?.weightHistogram;
    return h && h.counts.length ? [{ step: p.step, ...h }] : [];
  });
  const shown = spreadIndices(hists.length).map((i) => hists[i]!);
  const height = PAD.top + RIDGE + GAP * Math.max(0, shown.length - 1) + PAD.bottom;
  const root = svg('svg', {
    width,
    height,
    viewBox: `0 0 ${width} ${height}`,
    class: 'weight-histograms',
    role: 'img',
    'data-testid': 'opt-histograms',
    'data-steps': shown.map((h) => h.step).join(','),
  });
  root.append(svg('title', {}, `Weight histograms of ${path} over ${shown.length} recorded steps`));
  if (shown.length === 0) return root;
  const lo = Math.min(...shown.map((h) => h.edges[0]!));
  const hi = Math.max(...shown.map((h) => h.edges.at(-1)!));
  const peak = Math.max(1, ...shown.flatMap((h) => h.counts));
  const plotW = width - PAD.left - PAD.right;
  const ridge = RIDGE;
  const gap = GAP;
  const x = (v: number) => PAD.left + (hi > lo ? ((v - lo) / (hi - lo)) * plotW : plotW / 2);
  shown.forEach((h, i) => {
    const base = PAD.top + ridge + i * gap;
    const pts = h.counts.map(
      (c, k) => `${x((h.edges[k]! + h.edges[k + 1]!) / 2).toFixed(1)},${(base - (c / peak) * ridge).toFixed(1)}`,
    );
    const area = `${x(h.edges[0]!).toFixed(1)},${base} ${pts.join(' ')} ${x(h.edges.at(-1)!).toFixed(1)},${base}`;
    const newest = i === shown.length - 1;
    root.append(svg('polygon', { points: area, class: newest ? 'ridge ridge-newest' : 'ridge', 'data-step': h.step }));
    root.append(svg('text', { x: PAD.left - 6, y: base, 'text-anchor': 'end', class: 'ridge-label' }, `step ${h.step}`));
  });
  for (const v of [lo, (lo + hi) / 2, hi])
    root.append(svg('text', { x: x(v), y: height - 8, 'text-anchor': 'middle', class: 'ridge-axis' }, formatNumber(v, 3)));
  return root;
}
