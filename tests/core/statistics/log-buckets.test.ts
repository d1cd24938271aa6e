// The log-bucket sketch against exact quantiles from a sort: every quantile within the sketch's
// relative accuracy, merging (adding counts) equals sketching the concatenation, and the histogram
// keeps every count.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  MIN_MAGNITUDE,
  RELATIVE_ACCURACY,
  SKETCH_LENGTH,
  addToSketch,
  bucketOf,
  sketchCount,
  sketchHistogram,
  sketchQuantiles,
} from '../../../src/core/statistics/log-buckets';
import { seededRandom, testSeed } from '../../helpers/seed';

const QS = [0, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 1];

function sketch(values: number[]): Float64Array {
  const counts = new Float64Array(SKETCH_LENGTH);
  for (const v of values) addToSketch(counts, 0, v);
  return counts;
}

test('quantiles of signed values spanning decades are within the relative accuracy of the exact ones', () => {
  const rand = seededRandom(testSeed('log-buckets quantiles'));
  // Log-uniform magnitudes from 1e-6 to 1e3, either sign, and a few exact zeros.
  const values = Array.from({ length: 5000 }, (_, i) => (i % 97 === 0 ? 0 : (rand() < 0.5 ? -1 : 1) * 10 ** (-6 + 9 * rand())));
  const sorted = [...values].sort((a, b) => a - b);
  const got = sketchQuantiles(sketch(values), QS);
  QS.forEach((q, i) => {
    const want = sorted[Math.floor(q * (sorted.length - 1))]!;
    assert.ok(
      Math.abs(got[i]! - want) <= RELATIVE_ACCURACY * Math.abs(want) + MIN_MAGNITUDE,
      `q=${q}: sketch ${got[i]} vs exact ${want}`,
    );
  });
});

test('adding two sketches equals the sketch of both halves together; NaN is counted apart', () => {
  const rand = seededRandom(testSeed('log-buckets merge'));
  const a = Array.from({ length: 700 }, () => (rand() - 0.5) * 4);
  const b = [...Array.from({ length: 300 }, () => rand() * 1e-3), NaN];
  const merged = sketch(a);
  const other = sketch(b);
  for (let i = 0; i < SKETCH_LENGTH; i++) merged[i]! += other[i]!;
  assert.deepEqual(merged, sketch([...b, ...a]));
  assert.equal(sketchCount(merged), 1000, 'the NaN is not among the finite values');
});

test('bucket boundaries: zero bucket at and below the smallest magnitude, order follows the values', () => {
  assert.equal(bucketOf(0), bucketOf(-MIN_MAGNITUDE));
  assert.equal(bucketOf(0), bucketOf(MIN_MAGNITUDE));
  assert.ok(bucketOf(-1) < bucketOf(-0.5) && bucketOf(-0.5) < bucketOf(0) && bucketOf(0) < bucketOf(2e-10));
  assert.equal(bucketOf(1e12), bucketOf(1e20), 'beyond the largest magnitude: the outermost bucket');
});

test('the histogram keeps every count and spans the values', () => {
  const values = [-2, -1, -1, 0, 0.5, 1, 1, 1, 3];
  const h = sketchHistogram(sketch(values), 5);
  assert.equal(h.counts.length, 5);
  assert.equal(h.edges.length, 6);
  assert.equal(
    h.counts.reduce((a, c) => a + c, 0),
    values.length,
  );
  assert.ok(Math.abs(h.edges[0]! + 2) <= 2 * RELATIVE_ACCURACY && Math.abs(h.edges[5]! - 3) <= 3 * RELATIVE_ACCURACY);
  assert.equal(h.counts[4], 1, 'only the 3 in the last bin');
});
