// Checkpoints written on a worker thread: same result as RunStore.writeCheckpoint, caller's loop stays free.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { CheckpointWriter, RunStore, StoreError } from '../../../src/engine/store/index';
import { Layout, Mesh, UNSHARDED } from '../../../src/core/dtensor/index';
import { assembleGlobal } from '../../../src/core/checkpoint/index';
import { pattern } from './fixtures/crash-model';
import { sampleCheckpoint, sampleConfig, shardedTensor, tempDir } from './helpers';

const tmp = tempDir('writer');
after(() => tmp.cleanup());

test('writes in order on the thread, with retention; the main connection reads them back', { timeout: 60_000 }, async () => {
  const file = tmp.file('writer.db');
  const store = RunStore.open(file);
  const runId = store.createRun(sampleConfig());
  const writer = await CheckpointWriter.open(file);
  try {
    const data = [1, 2, 3].map((step) => sampleCheckpoint(step));
    const expected = data.map((d) => new Map(d.tensors.map((t) => [t.path, assembleGlobal(t)])));
    const infos = await Promise.all(data.map((d) => writer.write(runId, d, { keep: 2 })));
    assert.deepEqual(infos.map((i) => i.step), [1, 2, 3]);
    assert.ok(infos[0].id < infos[1].id && infos[1].id < infos[2].id);
    assert.equal(data[0].tensors[0].shards[0].data.length, 0, 'transferred buffers are detached');
    assert.deepEqual(store.listCheckpoints(runId).map((c) => c.id), [infos[1].id, infos[2].id]);
    const loaded = store.loadCheckpoint(infos[2].id);
    assert.deepEqual(new Map(loaded.tensors.map((t) => [t.path, assembleGlobal(t)])), expected[2]);

    const copy = sampleCheckpoint(4);
    await writer.write(runId, copy, { transfer: false });
    assert.ok(copy.tensors[0].shards[0].data.length > 0, 'without transfer the caller keeps its buffers');

    await assert.rejects(writer.write('no-such-run', sampleCheckpoint(5)), (e: unknown) => e instanceof StoreError && e.kind === 'not-found');
  } finally {
    await writer.close();
    store.close();
  }
});

test("the caller's event loop keeps running during a large write", { timeout: 60_000 }, async () => {
  const file = tmp.file('loop.db');
  const store = RunStore.open(file);
  const runId = store.createRun(sampleConfig());
  const writer = await CheckpointWriter.open(file);
  const layout = new Layout(['batch', UNSHARDED], Mesh.parse('batch=4'));
  const tensors = [0, 1, 2, 3].map((i) => shardedTensor(`optimizer/slot${i}`, [2048, 1024], layout, pattern(i, 2048 * 1024)));
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  try {
    const info = await writer.write(runId, { step: 1, iterations: 1, state: {}, mesh: 'batch=4', tensors });
    assert.equal(info.bytes, 32 * 2 ** 20);
    assert.ok(ticks >= 3, `the loop ticked ${ticks} times during a 32 MB write`);
  } finally {
    clearInterval(timer);
    await writer.close();
    store.close();
  }
});

test('opening on a foreign file rejects with the StoreError', { timeout: 30_000 }, async () => {
  const file = tmp.file('foreign.txt');
  writeFileSync(file, 'not a database at all, just some words '.repeat(10));
  await assert.rejects(CheckpointWriter.open(file), (e: unknown) => e instanceof StoreError && e.kind === 'not-sqlite' && e.message.includes(file));
});
