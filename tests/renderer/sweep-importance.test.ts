// Which hyperparameter mattered: Spearman's ρ against the textbook formula 1 − 6Σd²/(n(n²−1)) (no
// ties), ranks with ties averaged, and the correlation ratio against its sums of squares written out.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { correlationRatio, hyperparameterImportance, ranks } from '../../src/renderer/src/views/sweeps/importance';
import { seededRandom, testSeed } from '../helpers/seed';

test('Spearman ρ equals 1 − 6Σd²/(n(n²−1)) on distinct values; the sign says which way', () => {
  const rand = seededRandom(testSeed('importance spearman'));
  const n = 12;
  const lr = Array.from({ length: n }, (_, i) => 10 ** (-3 + i / 3 + rand() * 0.01));
  const objective = lr.map((v) => -Math.log10(v) + rand() * 2);
  const trials = lr.map((v, i) => ({ settings: { 'optimizer.learning_rate': v }, objective: objective[i]! }));
  const [imp] = hyperparameterImportance(['optimizer.learning_rate'], trials);
  const rx = ranks(lr);
  const ry = ranks(objective);
  const d2 = rx.reduce((a, r, i) => a + (r - ry[i]!) ** 2, 0);
  const rho = 1 - (6 * d2) / (n * (n * n - 1));
  assert.ok(Math.abs(imp!.score! - Math.abs(rho)) < 1e-12, `${imp!.score} vs ${Math.abs(rho)}`);
  assert.equal(imp!.sign, rho < 0 ? -1 : 1);
});

test('ranks average ties; a categorical hyperparameter gets η = sqrt(between / total)', () => {
  assert.deepEqual(ranks([10, 20, 10, 30]), [1.5, 3, 1.5, 4]);
  // Groups a: [1, 3] (mean 2), b: [5, 7] (mean 6); grand mean 4. Between 2·4 + 2·4 = 16, total 9+1+1+9 = 20.
  assert.ok(Math.abs(correlationRatio(['a', 'a', 'b', 'b'], [1, 3, 5, 7])! - Math.sqrt(16 / 20)) < 1e-15);
  assert.equal(correlationRatio(['a', 'b'], [2, 2]), null, 'no spread: nothing to explain');
});

test('ranked most important first; too few finished trials give no score', () => {
  const trials = [
    { settings: { a: 1, b: 'x' }, objective: 0.9 },
    { settings: { a: 2, b: 'y' }, objective: 0.5 },
    { settings: { a: 3, b: 'x' }, objective: 0.1 },
    { settings: { a: 4, b: 'y' }, objective: null },
  ];
  const out = hyperparameterImportance(['b', 'a'], trials);
  assert.deepEqual(
    out.map((i) => [i.key, i.kind]),
    [
      ['a', 'spearman'],
      ['b', 'eta'],
    ],
  );
  assert.equal(out[0]!.score, 1, 'a perfectly ordered objective');
  assert.equal(hyperparameterImportance(['a'], trials.slice(0, 2))[0]!.score, null);
});
