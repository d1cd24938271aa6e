// The targets of an output without a loss or metrics are left out of a run's data.y and a held-out
// source's y (engine/keras/unused-targets.ts): Keras ignores them, and the packed target row holds only
// what a loss or a metric reads; an output without a loss whose metrics read its targets keeps them. The model is Keras 3's own to_json() of a two-output model (tests/cli/fixtures).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildKerasRunModel } from '../../../src/core/models/index';
import { sourceWithoutUnusedTargets, withoutUnusedTargets } from '../../../src/engine/keras/unused-targets';
import type { RunConfig } from '../../../src/shared/api';

const json = JSON.parse(readFileSync(join('tests', 'cli', 'fixtures', 'multi-io-model.json'), 'utf8')) as unknown;
const y = { priority: 'p', department: 'd' };
const config = {
  data: {
    kind: 'npz',
    path: 'd.npz',
    x: { numeric: 'n', body: 'b' },
    y,
    validation: { kind: 'npz', path: 'v.npz', x: { numeric: 'n', body: 'b' }, y },
  },
} as unknown as RunConfig;

test("an output without a loss: its targets leave data.y and the held-out source's y", () => {
  const model = buildKerasRunModel({ type: 'keras', json, loss: ['mse', null], metrics: { priority: ['mae'] } });
  const out = withoutUnusedTargets(config, model).data as unknown as { y: object; validation: { y: object } };
  assert.deepEqual(out.y, { priority: 'p' });
  assert.deepEqual(out.validation.y, { priority: 'p' });
  // A source given on its own (`evaluate --data`) the same way; one naming only read targets is kept as is.
  const other = { kind: 'npz', path: 'o.npz', y };
  assert.deepEqual(sourceWithoutUnusedTargets(other, model), { kind: 'npz', path: 'o.npz', y: { priority: 'p' } });
  const read = { kind: 'npz', path: 'o.npz', y: { priority: 'p' } };
  assert.equal(sourceWithoutUnusedTargets(read, model), read);
});

test('every output with a loss: the config is kept as given', () => {
  const model = buildKerasRunModel({ type: 'keras', json });
  assert.equal(withoutUnusedTargets(config, model), config);
});

test('an output without a loss but with metrics: its targets are read, and kept', () => {
  const model = buildKerasRunModel({
    type: 'keras',
    json,
    loss: ['mse', null],
    metrics: { priority: ['mae'], department: ['sparse_categorical_accuracy'] },
  });
  assert.deepEqual(model.metrics, ['priority_mae', 'department_sparse_categorical_accuracy']);
  assert.equal(withoutUnusedTargets(config, model), config);
});
