/**
 * Colours a sweep's trials by their objective: from the palette's orange (worst) to its blue (best),
 * the same scale in every plot of the sweep. Trials without an objective stay neutral.
 */

const css = (name: string): string => getComputedStyle(document.documentElement).getPropertyValue(name).trim();

function rgb(hex: string): [number, number, number] {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  return m ? [parseInt(m[1]!, 16), parseInt(m[2]!, 16), parseInt(m[3]!, 16)] : [128, 128, 128];
}

/** An objective value → a CSS colour on the worst … best scale. */
export type ObjectiveColor = (objective: number | null) => string;

export function objectiveColors(objectives: readonly (number | null)[], mode: 'min' | 'max'): ObjectiveColor {
  const known = objectives.filter((v): v is number => v !== null && Number.isFinite(v));
  const lo = Math.min(...known);
  const hi = Math.max(...known);
  const [worst, best] = [rgb(css('--series-1')), rgb(css('--series-0'))];
  return (v) => {
    if (v === null || !Number.isFinite(v)) return css('--text-muted') || '#888';
    const t = hi > lo ? (v - lo) / (hi - lo) : 1;
    const q = mode === 'min' ? 1 - t : t;
    const mix = worst.map((w, i) => Math.round(w + (best[i]! - w) * q));
    return `rgb(${mix.join(' ')})`;
  };
}
