/** Orders trials by an objective: best first, trials without a value (or NaN) last, ties by index. */
import { isBetter, type Mode } from './halving';

export function rankTrials<T extends { index: number; objective: number | null }>(trials: readonly T[], mode: Mode): T[] {
  const missing = (t: T) => t.objective === null || Number.isNaN(t.objective);
  return [...trials].sort((a, b) => {
    if (missing(a) !== missing(b)) return missing(a) ? 1 : -1;
    if (!missing(a) && isBetter(a.objective!, b.objective!, mode)) return -1;
    if (!missing(a) && isBetter(b.objective!, a.objective!, mode)) return 1;
    return a.index - b.index;
  });
}
