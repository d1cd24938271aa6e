/**
 * Successive halving (ASHA-style, asynchronous): rungs at minEvals·eta^k evaluations (k = 0, 1, …).
 * A trial that reaches a rung is compared with the values earlier trials recorded at that rung; it
 * goes on only if it is among the best ⌈n/eta⌉ of the n values there (its own included). The first
 * trial at a rung always goes on. Pure: the sweep records values and decisions in arrival order.
 */
import { SweepSpaceError } from './space';

export type Mode = 'min' | 'max';

export interface HalvingRule {
  /** Reduction factor (≥ 2): the top 1/eta of a rung go on. */
  eta: number;
  /** Evaluations at the first rung (≥ 1). */
  minEvals: number;
}

/** The rung index k when `evaluations` = minEvals·eta^k, else null. */
export function rungAt(evaluations: number, rule: HalvingRule): number | null {
  for (let k = 0, at = rule.minEvals; at <= evaluations; k++, at *= rule.eta) if (at === evaluations) return k;
  return null;
}

/** a strictly better than b; NaN is worse than any number. */
export function isBetter(a: number, b: number, mode: Mode): boolean {
  if (Number.isNaN(a)) return false;
  if (Number.isNaN(b)) return true;
  return mode === 'min' ? a < b : a > b;
}

/** Whether a trial with `value` goes on, given the values recorded at this rung before it. */
export function keepsAtRung(value: number, earlier: readonly number[], rule: HalvingRule, mode: Mode): boolean {
  const n = earlier.length + 1;
  const strictlyBetter = earlier.filter((u) => isBetter(u, value, mode)).length;
  return strictlyBetter < Math.ceil(n / rule.eta);
}

/** The rule in words, for the sweep's summary and the docs. */
export function describeHalving(rule: HalvingRule, mode: Mode): string {
  const rungs = [0, 1, 2].map((k) => rule.minEvals * rule.eta ** k).join(', ');
  return (
    `Successive halving (eta ${rule.eta}): rungs at ${rungs}, … evaluations; a trial reaching a rung goes on only if ` +
    `fewer than ⌈n/${rule.eta}⌉ of the n values recorded there so far (its own included) are strictly ${mode === 'min' ? 'lower' : 'higher'} ` +
    `than its best ${mode === 'min' ? 'minimum' : 'maximum'}; otherwise it is pruned (stopped).`
  );
}

export function checkHalvingRule(rule: HalvingRule): void {
  if (!Number.isInteger(rule.eta) || rule.eta < 2) throw new SweepSpaceError(`eta must be an integer ≥ 2 (got ${rule.eta})`);
  if (!Number.isInteger(rule.minEvals) || rule.minEvals < 1)
    throw new SweepSpaceError(`minEvals must be an integer ≥ 1 (got ${rule.minEvals})`);
}
