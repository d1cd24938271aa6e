/**
 * Which hyperparameter mattered most in a sweep, from the finished trials alone: for a numeric one
 * the absolute Spearman rank correlation with the objective (a log axis changes no rank), for a
 * categorical one the correlation ratio η (the share of the objective's spread its categories
 * explain, as a square root). Both lie in [0, 1]; W&B's panel shows the same correlations beside its
 * model-based importance. Pure: unit-tested against independent computations.
 */

export interface Importance {
  key: string;
  kind: 'spearman' | 'eta';
  /** In [0, 1]; null with fewer than 3 trials that have both a value and an objective, or no spread. */
  score: number | null;
  /** Spearman only: +1 when a larger value gives a larger objective. */
  sign?: 1 | -1;
}

/** Average ranks (1-based), ties sharing their mean rank. */
export function ranks(values: readonly number[]): number[] {
  const order = values.map((v, i) => ({ v, i })).sort((a, b) => a.v - b.v);
  const out = new Array<number>(values.length);
  for (let start = 0; start < order.length;) {
    let end = start;
    while (end + 1 < order.length && order[end + 1]!.v === order[start]!.v) end++;
    for (let k = start; k <= end; k++) out[order[k]!.i] = (start + end) / 2 + 1;
    start = end + 1;
  }
  return out;
}

function pearson(x: readonly number[], y: readonly number[]): number | null {
  const n = x.length;
  const mx = x.reduce((a, b) => a + b, 0) / n;
  const my = y.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i]! - mx) * (y[i]! - my);
    sxx += (x[i]! - mx) ** 2;
    syy += (y[i]! - my) ** 2;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : null;
}

/** η: sqrt(between-category sum of squares / total sum of squares) of `y` grouped by `groups`. */
export function correlationRatio(groups: readonly string[], y: readonly number[]): number | null {
  const mean = y.reduce((a, b) => a + b, 0) / y.length;
  const total = y.reduce((a, v) => a + (v - mean) ** 2, 0);
  if (!(total > 0)) return null;
  const by = new Map<string, number[]>();
  groups.forEach((g, i) => by.set(g, [...(by.get(g) ?? []), y[i]!]));
  let between = 0;
  for (const ys of by.values()) between += ys.length * (ys.reduce((a, b) => a + b, 0) / ys.length - mean) ** 2;
  return Math.sqrt(between / total);
}

/** One entry per key, most important first (unknown scores last). */
export function hyperparameterImportance(
  keys: readonly string[],
  trials: readonly { settings: Record<string, unknown>; objective: number | null }[],
): Importance[] {
  const out = keys.map((key): Importance => {
    const rows = trials.filter((t) => t.objective !== null && Number.isFinite(t.objective) && t.settings[key] !== undefined);
    const values = rows.map((t) => t.settings[key]);
    const objective = rows.map((t) => t.objective!);
    const numeric = values.every((v) => typeof v === 'number' && Number.isFinite(v));
    if (rows.length < 3) return { key, kind: numeric ? 'spearman' : 'eta', score: null };
    if (!numeric)
      return {
        key,
        kind: 'eta',
        score: correlationRatio(
          values.map((v) => JSON.stringify(v)),
          objective,
        ),
      };
    const rho = pearson(ranks(values as number[]), ranks(objective));
    return rho === null
      ? { key, kind: 'spearman', score: null }
      : { key, kind: 'spearman', score: Math.abs(rho), sign: rho < 0 ? -1 : 1 };
  });
  return out.sort((a, b) => (b.score ?? -1) - (a.score ?? -1));
}
