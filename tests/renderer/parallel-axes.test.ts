/** Parallel-coordinates axes: linear, log for values spanning decades, categorical, missing values. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeAxis } from '../../src/renderer/src/views/sweeps/parallel-axes';

test('numbers: linear positions; a learning rate from 0.01 to 10 gets a log axis', () => {
  const rho = makeAxis('optimizer.rho', [0.9, 0.95, 0.99]);
  assert.equal(rho.kind, 'linear');
  assert.equal(rho.position(0.9), 0);
  assert.equal(rho.position(0.99), 1);
  assert.ok(Math.abs(rho.position(0.95)! - 0.05 / 0.09) < 1e-12);
  const lr = makeAxis('optimizer.learning_rate', [0.01, 0.1, 10]);
  assert.equal(lr.kind, 'log');
  assert.ok(Math.abs(lr.position(0.1)! - 1 / 3) < 1e-12, 'one decade of three');
  assert.deepEqual(
    lr.ticks.map((t) => t.label),
    ['0.01', '0.1', '1', '10'],
  );
  assert.equal(lr.position(null), null);
  assert.equal(makeAxis('k', [5, 5]).position(5), 0.5, 'a single value sits mid-axis');
});

test('strings and booleans are categories in first-seen order', () => {
  const a = makeAxis('data.normalize', ['zscore', 'minmax', 'zscore', true]);
  assert.equal(a.kind, 'category');
  assert.deepEqual(
    a.ticks.map((t) => [t.label, t.at]),
    [
      ['zscore', 0],
      ['minmax', 0.5],
      ['true', 1],
    ],
  );
  assert.equal(a.position('minmax'), 0.5);
  assert.equal(a.position('other'), null);
});
