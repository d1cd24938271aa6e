// lossTrend: the first tenth of the steps against the last, by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeLossTrend, lossTrend } from '../../../src/core/evaluation/loss-trend';

test('the mean of the first and last tenth decide, with a tenth of a drop required', () => {
  const falling = Array.from({ length: 20 }, (_, i) => (20 - i) / 10); // tenths: [2, 1.9] and [0.2, 0.1]
  const t = lossTrend(falling)!;
  assert.ok(Math.abs(t.first - 1.95) < 1e-12 && Math.abs(t.last - 0.15) < 1e-12 && t.fell, JSON.stringify(t));
  assert.equal(describeLossTrend(lossTrend(falling)!), 'loss fell from 1.9500 to 0.1500');
  // Iris with stale kernels: 1.10 → 1.16, it rose.
  const rose = lossTrend([1.1, 1.0, 1.2, 1.16]);
  assert.deepEqual(rose, { first: 1.1, last: 1.16, fell: false });
  assert.equal(describeLossTrend(rose!), 'the loss did not fall: 1.1000 over the first tenth of the steps, 1.1600 over the last');
  assert.equal(lossTrend([1, 0.95])!.fell, false, 'a 5% drop is not a fall');
  assert.equal(lossTrend([1, 0.85])!.fell, true);
  assert.equal(lossTrend([NaN, 0.1])!.fell, false);
  assert.equal(lossTrend([1]), null);
});
