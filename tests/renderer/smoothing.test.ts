/**
 * Smoothing against an independent re-statement of TensorBoard's formula: the debiased EMA at the
 * n-th finite point is Σ_k (1−w)·w^(n−k)·y_k / (1 − w^n), computed directly for each n in float64.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { smoothEma } from '../../src/renderer/src/charts/smoothing';

function reference(ys: number[], w: number): number[] {
  const finite: number[] = [];
  return ys.map((y) => {
    if (!Number.isFinite(y)) return y;
    finite.push(y);
    const n = finite.length;
    let sum = 0;
    for (let k = 1; k <= n; k++) sum += (1 - w) * w ** (n - k) * finite[k - 1];
    return sum / (1 - w ** n);
  });
}

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

test('smoothEma equals the closed-form debiased EMA for several weights, NaN and Infinity passing through', () => {
  const seed = Number(process.env.SMOOTHING_SEED ?? 20261128);
  console.log(`smoothing seed ${seed} (set SMOOTHING_SEED to repeat)`);
  const rand = seeded(seed);
  const ys = Array.from({ length: 300 }, (_, i) => 2 * Math.exp(-i / 60) + 0.3 * (rand() - 0.5));
  ys[17] = Number.NaN;
  ys[90] = Number.POSITIVE_INFINITY;
  for (const w of [0.1, 0.6, 0.9, 0.99]) {
    const got = smoothEma(ys, w);
    const want = reference(ys, w);
    for (let i = 0; i < ys.length; i++) {
      if (!Number.isFinite(want[i])) assert.equal(String(got[i]), String(want[i]), `w=${w} i=${i} passes through`);
      else
        assert.ok(Math.abs(got[i] - want[i]) <= 1e-12 * Math.max(1, Math.abs(want[i])), `w=${w} i=${i}: ${got[i]} vs ${want[i]}`);
    }
  }
});

test('the first point is itself, weight 0 is the identity, a constant series stays exact', () => {
  assert.deepEqual([...smoothEma([5, 1, 3], 0)], [5, 1, 3]);
  assert.equal(smoothEma([4, 0, 0], 0.9)[0], 4, 'debiasing makes the first value the first point');
  // By hand: w = 0.5 over [4, 0]: last = 0.5·2 = 1 → 1 / (1 − 0.25) = 4/3.
  assert.equal(smoothEma([4, 0], 0.5)[1], 4 / 3);
  assert.deepEqual([...smoothEma([0.1, 0.1, 0.1], 0.95)], [0.1, 0.1, 0.1]);
  assert.deepEqual([...smoothEma([], 0.9)], []);
});
