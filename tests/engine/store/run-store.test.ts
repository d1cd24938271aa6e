import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { RunStore, StoreError } from '../../../src/engine/store/index';
import { Layout, Mesh, UNSHARDED } from '../../../src/core/dtensor/index';
import { assembleGlobal, localShardFor } from '../../../src/core/checkpoint/index';
import { extractShard, shardSlices } from '../../../src/core/dtensor/shard';
import { floats, point, sampleCheckpoint, sampleConfig, tempDir } from './helpers';

const tmp = tempDir('store');
after(() => tmp.cleanup());

function openFresh(name: string, options = {}): RunStore {
  return RunStore.open(tmp.file(name), options);
}

test('runs: create, list with last loss, update, get detail, delete cascades', () => {
  const store = openFresh('runs.db');
  const a = store.createRun(sampleConfig({ name: 'first' }));
  const b = store.createRun(sampleConfig({ name: undefined, mesh: 'batch=2,model=2' }), { notes: 'try 2×2' });
  assert.match(a, /^[A-Za-z0-9_-]{8}$/);
  assert.notEqual(a, b);
  store.appendMetrics(a, [point(1, 0.9), point(2, 0.7)]);
  const list = store.listRuns();
  assert.deepEqual(list.map((r) => r.id).sort(), [a, b].sort());
  const first = list.find((r) => r.id === a)!;
  assert.equal(first.lastLoss, 0.7);
  assert.equal(first.name, 'first');
  assert.equal(list.find((r) => r.id === b)!.lastLoss, null);
  assert.equal(list.find((r) => r.id === b)!.name, `run-${b}`);

  const updated = store.updateRun(a, { status: 'running', step: 2 });
  assert.equal(updated.status, 'running');
  assert.equal(updated.step, 2);
  store.updateRun(a, { status: 'failed', error: 'worker gpu1 crashed', notes: 'retry' });
  store.appendDeviceStats(a, 1, [{ deviceId: 0, pid: 11, backend: 'wasm', shardBytes: 100, rssBytes: 1e6, stepTimeMs: 2 }]);
  store.appendDeviceStats(a, 2, [
    { deviceId: 1, pid: 12, backend: 'wasm', shardBytes: 90, rssBytes: 2e6, stepTimeMs: 3 },
    { deviceId: 0, pid: 11, backend: 'wasm', shardBytes: 100, rssBytes: 1e6, stepTimeMs: 2.5 },
  ]);
  const detail = store.getRun(a);
  assert.equal(detail.status, 'failed');
  assert.equal(detail.error, 'worker gpu1 crashed');
  assert.equal(detail.notes, 'retry');
  assert.deepEqual(detail.config, sampleConfig({ name: 'first' }));
  assert.deepEqual(
    detail.devices.map((d) => [d.deviceId, d.stepTimeMs]),
    [
      [0, 2.5],
      [1, 3],
    ],
  );
  store.updateRun(a, { error: null });
  assert.equal(store.getRun(a).error, null);

  store.writeCheckpoint(a, sampleCheckpoint(2));
  assert.equal(store.deleteRun(a), true);
  assert.equal(store.deleteRun(a), false);
  assert.throws(
    () => store.getRun(a),
    (e: unknown) => e instanceof StoreError && e.kind === 'not-found',
  );
  assert.throws(() => store.appendMetrics(a, [point(3, 1)]), /No run/);
  assert.deepEqual(store.integrityCheck(), ['ok']);
  store.close();
});

test('invalid input is refused with a StoreError', () => {
  const store = openFresh('invalid.db');
  assert.throws(() => store.createRun(sampleConfig({ mesh: '' })), /RunConfig.mesh/);
  assert.throws(() => store.createRun(sampleConfig({ steps: -1 })), /RunConfig.steps/);
  const id = store.createRun(sampleConfig());
  assert.throws(() => store.updateRun(id, { status: 'exploded' as never }), /Unknown run status/);
  assert.throws(() => store.appendMetrics(id, [point(1.5, 1)]), /integer step/);
  store.close();
});

test('metrics: a rewound step is replaced, sinceStep filters, NaN and Infinity survive, CSV has the union of columns', () => {
  const store = openFresh('metrics.db');
  const id = store.createRun(sampleConfig());
  store.appendMetrics(id, [point(1, 1.0, { accuracy: 0.5 }), point(2, 0.8, { accuracy: 0.6 })]);
  store.appendMetrics(id, [point(2, 0.75, { accuracy: 0.65, 'f1,macro': 0.3 }), point(3, NaN, { accuracy: Infinity })]);
  const all = store.getMetrics(id);
  assert.deepEqual(
    all.map((p) => p.step),
    [1, 2, 3],
  );
  assert.equal(all[1].loss, 0.75);
  assert.ok(Number.isNaN(all[2].loss));
  assert.equal(all[2].metrics.accuracy, Infinity);
  assert.deepEqual(
    store.getMetrics(id, 1).map((p) => p.step),
    [2, 3],
  );
  assert.ok(Number.isNaN(store.listRuns()[0].lastLoss!), 'a NaN last loss reads as NaN, not as "none"');
  const csv = store.metricsCsv(id).trimEnd().split('\n');
  assert.equal(csv[0], 'step,time,loss,learning_rate,grad_norm,step_time_ms,samples_per_sec,accuracy,"f1,macro"');
  assert.equal(csv.length, 4);
  assert.equal(csv[1], '1,1700000000001,1,0.001,0.5,3.5,1000,0.5,');
  assert.equal(csv[3], '3,1700000000003,NaN,0.001,0.5,3.5,1000,Infinity,');
  store.close();
});

test('checkpoints: tensors round trip exactly (float32 shards, int64 counter, state) and reshard on load', () => {
  const store = openFresh('ckpt.db');
  const id = store.createRun(sampleConfig());
  const data = sampleCheckpoint(5, 'batch=2');
  const info = store.writeCheckpoint(id, data, { keep: 2 });
  assert.equal(info.step, 5);
  const bytes = data.tensors.reduce((n, t) => n + t.shards.reduce((m, s) => m + s.data.byteLength, 0), 0);
  assert.equal(info.bytes, bytes);
  const loaded = store.loadCheckpoint(info.id);
  assert.equal(loaded.runId, id);
  assert.deepEqual(loaded.state, data.state);
  assert.equal(loaded.iterations, 5);
  assert.equal(loaded.tensors.length, data.tensors.length);
  for (const t of data.tensors) {
    const back = loaded.tensors.find((x) => x.path === t.path)!;
    assert.deepEqual(back.layout, t.layout);
    assert.deepEqual(assembleGlobal(back), assembleGlobal(t));
  }
  assert.deepEqual(loaded.tensors.find((t) => t.path === 'optimizer/iteration')!.shards[0].data, Float64Array.of(5));
  // Replicas were saved once: the replicated bias of a 2-device run is one shard.
  assert.equal(loaded.tensors.find((t) => t.path === 'params/dense.bias')!.shards.length, 1);
  // Resume on 3 devices: each gets its rows of the saved kernel.
  const kernel = loaded.tensors.find((t) => t.path === 'params/dense.kernel')!;
  const three = new Layout(['batch', UNSHARDED], Mesh.parse('batch=3'));
  for (const d of [0, 1, 2]) {
    assert.deepEqual(localShardFor(kernel, three, d), extractShard(floats(50, 21), [7, 3], shardSlices([7, 3], three, d)));
  }
  assert.deepEqual(store.getRun(id).checkpoints, [info]);
  store.close();
});

test('retention keeps the newest K of this run only; ids are never reused', () => {
  const store = openFresh('retention.db');
  const a = store.createRun(sampleConfig());
  const b = store.createRun(sampleConfig());
  const bInfo = store.writeCheckpoint(b, sampleCheckpoint(1));
  const ids = [1, 2, 3, 4, 5].map((step) => store.writeCheckpoint(a, sampleCheckpoint(step), { keep: 2 }).id);
  assert.deepEqual(
    store.listCheckpoints(a).map((c) => c.id),
    ids.slice(3),
  );
  assert.deepEqual(store.listCheckpoints(b), [bInfo], "another run's checkpoint is untouched");
  store.deleteRun(a);
  const next = store.writeCheckpoint(b, sampleCheckpoint(2), { keep: 5 });
  assert.ok(next.id > ids[4]);
  assert.throws(() => store.writeCheckpoint(b, sampleCheckpoint(3), { keep: 0 }), /keep must be a positive integer/);
  store.close();
});

test('a shard larger than maxPartBytes is stored as several parts and verifies', () => {
  const store = RunStore.open(tmp.file('parts.db'), { maxPartBytes: 40 });
  const id = store.createRun(sampleConfig());
  const data = sampleCheckpoint(1);
  const info = store.writeCheckpoint(id, data);
  const loaded = store.loadCheckpoint(info.id);
  for (const t of data.tensors)
    assert.deepEqual(assembleGlobal(loaded.tensors.find((x) => x.path === t.path)!), assembleGlobal(t));
  store.close();
});

test('writeCheckpoint refuses incomplete or duplicated tensors before writing anything', () => {
  const store = openFresh('refuse.db');
  const id = store.createRun(sampleConfig());
  const data = sampleCheckpoint(1);
  data.tensors[0].shards.pop();
  assert.throws(() => store.writeCheckpoint(id, data), /Cannot save checkpoint: .*missing/);
  const dup = sampleCheckpoint(1);
  dup.tensors.push(dup.tensors[0]);
  assert.throws(() => store.writeCheckpoint(id, dup), /appears twice/);
  assert.throws(() => store.writeCheckpoint('nope', sampleCheckpoint(1)), /No run "nope"/);
  assert.deepEqual(store.listCheckpoints(id), []);
  store.close();
});

test('rewindTo drops later metrics, device stats and newer checkpoints, and sets the step, atomically', () => {
  const store = openFresh('rewind.db');
  const id = store.createRun(sampleConfig());
  const other = store.createRun(sampleConfig());
  store.appendMetrics(
    id,
    [1, 2, 3, 4, 5, 6].map((s) => point(s, 1 / s)),
  );
  store.appendMetrics(
    other,
    [1, 2, 3, 4, 5, 6].map((s) => point(s, 1 / s)),
  );
  for (const s of [3, 6])
    store.appendDeviceStats(id, s, [{ deviceId: 0, pid: 1, backend: 'cpu', shardBytes: 1, rssBytes: 1, stepTimeMs: 1 }]);
  const at2 = store.writeCheckpoint(id, sampleCheckpoint(2), { keep: 5 });
  const at4 = store.writeCheckpoint(id, sampleCheckpoint(4), { keep: 5 });
  store.updateRun(id, { step: 6 });
  const result = store.rewindTo(id, at2.id);
  assert.deepEqual(result, { step: 2, metricsDeleted: 4, checkpointsDeleted: 1 });
  assert.deepEqual(
    store.getMetrics(id).map((p) => p.step),
    [1, 2],
  );
  assert.equal(store.getRun(id).step, 2);
  assert.deepEqual(store.getRun(id).devices, []);
  assert.deepEqual(
    store.listCheckpoints(id).map((c) => c.id),
    [at2.id],
  );
  assert.equal(store.getMetrics(other).length, 6, 'other runs are untouched');
  assert.throws(() => store.loadCheckpoint(at4.id), /No checkpoint/);
  assert.throws(() => store.rewindTo(other, at2.id), /has no checkpoint/);
  // Resuming re-records steps 3.. without doubling back.
  store.appendMetrics(id, [point(3, 0.2)]);
  assert.deepEqual(
    store.getMetrics(id).map((p) => [p.step, p.loss]),
    [
      [1, 1],
      [2, 0.5],
      [3, 0.2],
    ],
  );
  store.close();
});

test('latestCheckpoint is the newest by creation; a run without checkpoints gives null', () => {
  const store = openFresh('latest.db');
  const id = store.createRun(sampleConfig());
  assert.equal(store.latestCheckpoint(id), null);
  assert.deepEqual(store.latestValidCheckpoint(id), { checkpoint: null, skipped: [] });
  store.writeCheckpoint(id, sampleCheckpoint(4));
  const newest = store.writeCheckpoint(id, sampleCheckpoint(2)); // e.g. after a rewind
  assert.equal(store.latestCheckpoint(id)!.id, newest.id);
  assert.equal(store.latestValidCheckpoint(id).checkpoint!.step, 2);
  store.close();
});

test('copyWal: false leaves the commit durable and the WAL copy to checkpointWal()', () => {
  const file = tmp.file('wal.db');
  const store = RunStore.open(file);
  const id = store.createRun(sampleConfig());
  store.checkpointWal();
  const info = store.writeCheckpoint(id, sampleCheckpoint(1), { copyWal: false });
  const pending = store.checkpointWal();
  assert.ok(pending.walFrames > 0 && pending.copied === pending.walFrames, JSON.stringify(pending));
  assert.equal(store.loadCheckpoint(info.id).step, 1);
  store.close();
});
