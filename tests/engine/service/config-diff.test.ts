/** Config diffs for compare: only differing keys, and the runs that lack a key marked (shown as "—"). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diffConfigs } from '../../../src/engine/service/config-tools';
import type { RunConfig } from '../../../src/shared/api';

test('diffConfigs lists only differing keys and marks the runs that lack a key', () => {
  const base = {
    model: {},
    data: { kind: 'builtin', name: 'iris' },
    mesh: 'batch=1',
    steps: 10,
    globalBatchSize: 8,
    seed: 0,
  } as unknown as RunConfig;
  const a = { ...base, optimizer: { rho: 0.9, clipnorm: null } };
  const b = { ...base, optimizer: { rho: 0.95 } };
  const c = { ...base, optimizer: { rho: 0.9, clipnorm: null }, seed: 3 };
  assert.deepEqual(diffConfigs([a, b, c]), [
    { path: 'optimizer.clipnorm', values: [null, null, null], missing: [false, true, false] },
    { path: 'optimizer.rho', values: [0.9, 0.95, 0.9], missing: [false, false, false] },
    { path: 'seed', values: [0, 0, 3], missing: [false, false, false] },
  ]);
});
