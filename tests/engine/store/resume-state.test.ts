// What a resume changes in the store: a new config (mesh, steps) is persisted with its columns, and a
// run with no checkpoint rewinds to its start in one transaction (no stale metric rows past step 0).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { RunStore, StoreError } from '../../../src/engine/store/index';
import { point, sampleCheckpoint, sampleConfig, tempDir } from './helpers';

const tmp = tempDir('resume-state');
after(() => tmp.cleanup());

test('updateRun with a config updates config, mesh and steps; a bad config is refused', () => {
  const store = RunStore.open(tmp.file('config.db'));
  const id = store.createRun(sampleConfig({ mesh: 'batch=4', steps: 10 }));
  store.updateRun(id, { config: sampleConfig({ mesh: 'batch=2', steps: 25 }) });
  const run = store.getRun(id);
  assert.equal(run.mesh, 'batch=2');
  assert.equal(run.steps, 25);
  assert.equal(run.config.mesh, 'batch=2');
  assert.throws(() => store.updateRun(id, { config: sampleConfig({ mesh: '' }) }), StoreError);
  assert.equal(store.getRun(id).mesh, 'batch=2');
  store.close();
});

test('rewindToStart drops metrics, device stats and checkpoints of that run only, and sets step 0', () => {
  const store = RunStore.open(tmp.file('rewind.db'));
  const a = store.createRun(sampleConfig());
  const b = store.createRun(sampleConfig());
  store.appendMetrics(a, [point(1, 0.9), point(2, 0.8), point(3, 0.7)]);
  store.appendMetrics(b, [point(1, 0.5)]);
  store.appendDeviceStats(a, 3, [{ deviceId: 0, pid: 1, backend: 'wasm', shardBytes: 1, rssBytes: 1, stepTimeMs: 1 }]);
  store.writeCheckpoint(b, sampleCheckpoint(1));
  store.updateRun(a, { step: 3 });
  const result = store.rewindToStart(a);
  assert.deepEqual(result, { step: 0, metricsDeleted: 3, checkpointsDeleted: 0 });
  assert.equal(store.getRun(a).step, 0);
  assert.deepEqual(store.getMetrics(a), []);
  assert.deepEqual(store.getRun(a).devices, []);
  assert.equal(store.getMetrics(b).length, 1, 'the other run keeps its rows');
  assert.equal(store.listCheckpoints(b).length, 1);
  store.close();
});
