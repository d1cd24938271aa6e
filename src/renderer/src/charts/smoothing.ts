/**
 * TensorBoard's scalar smoothing: an exponential moving average with zero initialisation, debiased
 * by 1 − w^n (as Adam debiases its moments), so the first smoothed value equals the first point.
 * Non-finite values pass through unchanged and do not advance the average; a constant series is
 * returned as is (debiasing would otherwise show float noise on a flat line).
 */

/** `weight` in [0, 1): 0 returns the values unchanged. */
export function smoothEma(values: ArrayLike<number>, weight: number, into?: Float64Array): Float64Array {
  const n = values.length;
  const out = into ?? new Float64Array(n);
  if (!(weight > 0) || isConstant(values)) {
    for (let i = 0; i < n; i++) out[i] = values[i];
    return out;
  }
  const w = Math.min(weight, 0.999);
  let last = 0;
  let count = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) {
      out[i] = v;
      continue;
    }
    last = last * w + (1 - w) * v;
    count += 1;
    out[i] = last / (1 - w ** count);
  }
  return out;
}

/** Every finite value equal (gaps, as in a joined overlay curve, do not count). */
function isConstant(values: ArrayLike<number>): boolean {
  let first = Number.NaN;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) continue;
    if (Number.isNaN(first)) first = v;
    else if (v !== first) return false;
  }
  return true;
}
