/**
 * Whether a run's loss fell: the mean loss of its first tenth of steps against its last tenth's (at
 * least one step each). Used where a figure is worthless unless training works: the CLI's
 * `--check-loss-falls` (CI's smoke test) and the benchmarks, which refuse to print a throughput for a
 * run that did not learn (a fast wrong run is not a result).
 */
export interface LossTrend {
  /** Mean loss of the first and of the last tenth of the steps. */
  first: number;
  last: number;
  /** `last` is below `first` by at least `minDrop` of it, and both are finite. */
  fell: boolean;
}

/** Needs two or more losses (null otherwise); `minDrop` 0.1: the loss must fall by a tenth at least. */
export function lossTrend(losses: readonly number[], minDrop = 0.1): LossTrend | null {
  if (losses.length < 2) return null;
  const k = Math.max(1, Math.floor(losses.length / 10));
  const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const first = mean(losses.slice(0, k));
  const last = mean(losses.slice(-k));
  return { first, last, fell: Number.isFinite(first) && Number.isFinite(last) && last < first * (1 - minDrop) };
}

/** One line for a person: "loss fell from 1.0986 to 0.0308" or why it did not. */
export function describeLossTrend(t: LossTrend): string {
  const f = (x: number) => x.toFixed(4);
  return t.fell
    ? `loss fell from ${f(t.first)} to ${f(t.last)}`
    : `the loss did not fall: ${f(t.first)} over the first tenth of the steps, ${f(t.last)} over the last`;
}
