// Garbage over the newest checkpoint (as Keras's BackupAndRestore test does) falls back to the previous one.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { openSync, readFileSync, writeSync, closeSync } from 'node:fs';
import Database from 'better-sqlite3';
import { CheckpointCorruptError, RunStore } from '../../../src/engine/store/index';
import { Layout, Mesh, UNSHARDED } from '../../../src/core/dtensor/index';
import type { CheckpointData } from '../../../src/core/checkpoint/index';
import { floats, sampleCheckpoint, sampleConfig, shardedTensor, tempDir } from './helpers';

const tmp = tempDir('corrupt');
after(() => tmp.cleanup());

/** A checkpoint with a 400 KB kernel (spans several 64 KiB overflow pages), content seeded by `seed`. */
function bigCheckpoint(step: number, seed: number): CheckpointData {
  const layout = new Layout(['batch', UNSHARDED], Mesh.parse('batch=2'));
  const base = sampleCheckpoint(step);
  base.tensors.push(shardedTensor('optimizer/Adadelta/accumulated_grad/big', [1000, 100], layout, floats(seed, 100_000)));
  return base;
}

function setup(name: string): { file: string; runId: string; ids: number[] } {
  const file = tmp.file(name);
  const store = RunStore.open(file);
  const runId = store.createRun(sampleConfig());
  const ids = [1, 2, 3].map((step) => store.writeCheckpoint(runId, bigCheckpoint(step, 1000 + step), { keep: 3 }).id);
  store.close();
  return { file, runId, ids };
}

function expectFallback(file: string, runId: string, ids: number[], reason: RegExp): void {
  const store = RunStore.open(file);
  assert.throws(
    () => store.latestCheckpoint(runId),
    (e: unknown) => e instanceof CheckpointCorruptError && e.checkpointId === ids[2] && reason.test(e.message),
  );
  const { checkpoint, skipped } = store.latestValidCheckpoint(runId);
  assert.equal(checkpoint?.id, ids[1]);
  assert.equal(checkpoint?.step, 2);
  assert.deepEqual(
    skipped.map((e) => e.checkpointId),
    [ids[2]],
  );
  assert.deepEqual(
    store.listCheckpoints(runId).map((c) => c.id),
    ids,
    'the corrupt checkpoint is reported, not deleted',
  );
  store.close();
}

test('garbage written over the newest checkpoint blob through SQL', () => {
  const { file, runId, ids } = setup('sql-garbage.db');
  const db = new Database(file);
  db.prepare("UPDATE checkpoint_shards SET data = randomblob(length(data)) WHERE checkpoint_id = ? AND path LIKE '%/big'").run(
    ids[2],
  );
  db.close();
  expectFallback(
    file,
    runId,
    ids,
    /shard \[\d+:\d+,0:100\] of "optimizer\/Adadelta\/accumulated_grad\/big" \(part 0\) hashes to/,
  );
});

test('bytes flipped on disk inside the newest blob (below SQLite: no structural error)', () => {
  const { file, runId, ids } = setup('disk-garbage.db');
  // Find a 64-byte run of the newest checkpoint's data in the file and overwrite its middle.
  const needle = Buffer.from(floats(1003, 100_000).buffer, 4000 * 4, 64);
  const bytes = readFileSync(file);
  const at = bytes.indexOf(needle);
  assert.ok(at > 0, 'the blob bytes are in the main file');
  assert.equal(bytes.indexOf(needle, at + 1), -1);
  const fd = openSync(file, 'r+');
  writeSync(fd, Buffer.alloc(16, 0xee), 0, 16, at + 24);
  closeSync(fd);
  expectFallback(file, runId, ids, /hashes to/);
});

test('a deleted shard row or an edited step fails the manifest hash', () => {
  const { file, runId, ids } = setup('manifest.db');
  const db = new Database(file);
  db.prepare("DELETE FROM checkpoint_shards WHERE checkpoint_id = ? AND path = 'params/dense.kernel' AND slices LIKE '0:%'").run(
    ids[2],
  );
  db.close();
  expectFallback(file, runId, ids, /manifest hash/);
  const db2 = new Database(file);
  db2.prepare('UPDATE checkpoints SET step = 99 WHERE id = ?').run(ids[1]);
  db2.close();
  const store = RunStore.open(file);
  const { checkpoint, skipped } = store.latestValidCheckpoint(runId);
  assert.equal(checkpoint?.id, ids[0]);
  assert.equal(skipped.length, 2);
  store.close();
});

test('every checkpoint corrupt: null with all of them reported', () => {
  const { file, runId, ids } = setup('all.db');
  const db = new Database(file);
  db.exec('UPDATE checkpoint_shards SET data = zeroblob(length(data))');
  db.close();
  const store = RunStore.open(file);
  const { checkpoint, skipped } = store.latestValidCheckpoint(runId);
  assert.equal(checkpoint, null);
  assert.deepEqual(
    skipped.map((e) => e.checkpointId),
    [...ids].reverse(),
  );
  store.close();
});
