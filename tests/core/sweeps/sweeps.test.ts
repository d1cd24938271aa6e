// Sweep spaces (grid order, seeded random draws within their ranges) and the successive-halving rule,
// checked against the rule written out again here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gridTrials, parseSpace, randomTrials } from '../../../src/core/sweeps/space';
import { keepsAtRung, rungAt } from '../../../src/core/sweeps/halving';
import { withSettings } from '../../../src/core/sweeps/config-path';
import { independentKeep } from './halving-reference';

const seed = Number(process.env.DTRAIN_TEST_SEED ?? 7);
console.log(`seed ${seed} (set DTRAIN_TEST_SEED to change)`);

test('grid expansion: every combination, first path slowest', () => {
  const trials = gridTrials(parseSpace({ 'optimizer.rho': [0.9, 0.95], globalBatchSize: [32, 64, 128] }));
  assert.deepEqual(trials, [
    { 'optimizer.rho': 0.9, globalBatchSize: 32 },
    { 'optimizer.rho': 0.9, globalBatchSize: 64 },
    { 'optimizer.rho': 0.9, globalBatchSize: 128 },
    { 'optimizer.rho': 0.95, globalBatchSize: 32 },
    { 'optimizer.rho': 0.95, globalBatchSize: 64 },
    { 'optimizer.rho': 0.95, globalBatchSize: 128 },
  ]);
  assert.throws(() => gridTrials(parseSpace({ lr: { log: [0.01, 1] } })), /a grid needs a list of values, not a range/);
});

test('random draws are seeded and stay in their ranges', () => {
  const space = parseSpace({
    'optimizer.learning_rate': { log: [0.01, 10] },
    'optimizer.rho': [0.9, 0.95, 0.99],
    eps: { uniform: [1, 2] },
    n: { int: [3, 5] },
  });
  const a = randomTrials(space, 200, seed);
  assert.deepEqual(randomTrials(space, 200, seed), a);
  assert.notDeepEqual(randomTrials(space, 200, seed + 1), a);
  for (const t of a) {
    const lr = t['optimizer.learning_rate'] as number;
    assert.ok(lr >= 0.01 && lr <= 10);
    assert.ok([0.9, 0.95, 0.99].includes(t['optimizer.rho'] as number));
    assert.ok((t.eps as number) >= 1 && (t.eps as number) < 2);
    assert.ok([3, 4, 5].includes(t.n as number));
  }
  // Log-uniform: about half the draws below the geometric middle √(0.01·10) ≈ 0.316.
  const below = a.filter((t) => (t['optimizer.learning_rate'] as number) < Math.sqrt(0.1)).length;
  assert.ok(below > 70 && below < 130, `${below} of 200 below the geometric middle`);
  assert.deepEqual(new Set(a.map((t) => t.n)), new Set([3, 4, 5]), 'both ends of an int range are drawn');
});

test('bad spaces are refused naming the path', () => {
  assert.throws(() => parseSpace({ lr: { log: [0, 1] } }), /lr: a log range needs a > 0/);
  assert.throws(() => parseSpace({ lr: [] }), /lr: the list of values is empty/);
  assert.throws(() => parseSpace({ lr: { between: [1, 2] } }), /lr: expected a list of values or one of/);
  assert.throws(() => parseSpace([]), /must be a JSON object/);
});

test('config paths are set in a copy', () => {
  const base = { optimizer: { rho: 0.9 }, steps: 3 };
  const out = withSettings(base, { 'optimizer.learning_rate': 0.5, steps: 7 });
  assert.deepEqual(out, { optimizer: { rho: 0.9, learning_rate: 0.5 }, steps: 7 });
  assert.deepEqual(base, { optimizer: { rho: 0.9 }, steps: 3 });
  assert.throws(() => withSettings(base, { 'steps.x': 1 }), /'steps' is not an object/);
});

test('rungs sit at minEvals·eta^k evaluations', () => {
  const rule = { eta: 3, minEvals: 2 };
  assert.deepEqual(
    [1, 2, 3, 6, 12, 18, 54].map((e) => rungAt(e, rule)),
    [null, 0, null, 1, null, 2, 3],
  );
});

test('successive halving keeps exactly what the restated rule keeps, for recorded arrival sequences', () => {
  // Values arriving at one rung, in order (recorded from a sweep's val_loss at its first rung, plus ties).
  const sequences = [
    [1.306, 1.305, 1.288, 1.281, 1.227, 1.247],
    [0.5, 0.5, 0.7, 0.4, 0.4, 0.9, 0.3, 0.45, 0.41],
    [2, 1, 3],
  ];
  for (const mode of ['min', 'max'] as const) {
    for (const eta of [2, 3, 4]) {
      for (const values of sequences) {
        values.forEach((v, i) => {
          const earlier = values.slice(0, i);
          assert.equal(
            keepsAtRung(v, earlier, { eta, minEvals: 1 }, mode),
            independentKeep(v, earlier, eta, mode),
            `${mode} eta ${eta} ${values} @${i}`,
          );
        });
      }
    }
  }
  // Worked by hand: eta 3, min. 1.306 first → kept; 1.305 (n 2, ⌈2/3⌉=1, none better) kept; 1.4 after them (2 better ≥ 1) pruned.
  assert.equal(keepsAtRung(1.4, [1.306, 1.305], { eta: 3, minEvals: 1 }, 'min'), false);
  assert.equal(keepsAtRung(1.3, [1.306, 1.305, 1.4], { eta: 3, minEvals: 1 }, 'min'), true);
  assert.equal(keepsAtRung(NaN, [1], { eta: 3, minEvals: 1 }, 'min'), false, 'NaN is worse than any value');
});
