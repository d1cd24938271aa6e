// Run management in the store: tags, duration, and delete — one transaction that takes the run's
// metrics, device stats, checkpoints and lease with it, refused while a live process trains the run.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import Database from 'better-sqlite3';
import { APP_ID, MIGRATIONS, RunStore, StoreError } from '../../../src/engine/store/index';
import { applyMigrations } from '../../../src/engine/store/migrations';
import { point, sampleCheckpoint, sampleConfig, tempDir } from './helpers';

const tmp = tempDir('labels');
after(() => tmp.cleanup());

function rowCounts(file: string, runId: string): Record<string, number> {
  const db = new Database(file, { readonly: true });
  try {
    const count = (q: string) => (db.prepare(q).get(runId) as { n: number }).n;
    return {
      runs: count('SELECT count(*) AS n FROM runs WHERE id = ?'),
      metrics: count('SELECT count(*) AS n FROM metrics WHERE run_id = ?'),
      devices: count('SELECT count(*) AS n FROM device_stats WHERE run_id = ?'),
      checkpoints: count('SELECT count(*) AS n FROM checkpoints WHERE run_id = ?'),
      tensors: count(
        'SELECT count(*) AS n FROM checkpoint_tensors WHERE checkpoint_id IN (SELECT id FROM checkpoints WHERE run_id = ?)',
      ),
      shards: db.prepare('SELECT count(*) AS n FROM checkpoint_shards').get() as never,
      leases: count('SELECT count(*) AS n FROM run_leases WHERE run_id = ?'),
    };
  } finally {
    db.close();
  }
}

test('tags round-trip and reach the summary; duration spans the first to the last metric point', () => {
  const store = RunStore.open(tmp.file('tags.db'));
  const id = store.createRun(sampleConfig());
  assert.deepEqual(store.listRuns()[0].tags, []);
  assert.equal(store.listRuns()[0].durationMs, null);
  store.updateRun(id, { tags: ['baseline', 'lr sweep'] });
  // sampleConfig points carry time = 1_700_000_000_000 + step.
  store.appendMetrics(id, [point(3, 1), point(250, 0.5)]);
  const run = store.listRuns()[0];
  assert.deepEqual(run.tags, ['baseline', 'lr sweep']);
  assert.equal(run.durationMs, 247);
  assert.deepEqual(store.getRun(id).tags, ['baseline', 'lr sweep']);
  store.close();
});

test('delete removes the run with its metrics, device stats, checkpoints and lease', () => {
  const file = tmp.file('delete.db');
  const store = RunStore.open(file);
  const keep = store.createRun(sampleConfig({ name: 'keep' }));
  const gone = store.createRun(sampleConfig({ name: 'gone' }));
  for (const id of [keep, gone]) {
    store.appendMetrics(id, [point(1, 0.9), point(2, 0.8)]);
    store.appendDeviceStats(id, 2, [{ deviceId: 0, pid: 11, backend: 'wasm', shardBytes: 100, rssBytes: 1e6, stepTimeMs: 2 }]);
    store.writeCheckpoint(id, sampleCheckpoint(2));
  }
  // This process's own lease means it trains the run (the service releases it when training ends).
  store.acquireRunLease(gone);
  assert.throws(() => store.deleteRun(gone), /being trained/);
  store.releaseRunLease(gone);
  const before = rowCounts(file, gone);
  assert.deepEqual(
    { ...before, shards: undefined },
    { runs: 1, metrics: 2, devices: 1, checkpoints: 1, tensors: 7, shards: undefined, leases: 0 },
  );
  assert.equal(store.deleteRun(gone), true);
  const after = rowCounts(file, gone);
  assert.deepEqual(
    { ...after, shards: undefined },
    { runs: 0, metrics: 0, devices: 0, checkpoints: 0, tensors: 0, shards: undefined, leases: 0 },
  );
  assert.ok(
    (after.shards as unknown as { n: number }).n < (before.shards as unknown as { n: number }).n,
    'the deleted checkpoint’s shards are gone',
  );
  assert.deepEqual(rowCounts(file, keep).metrics, 2, 'the other run is untouched');
  assert.equal(store.getRun(keep).checkpoints.length, 1);
  assert.deepEqual(store.integrityCheck(), ['ok']);
  store.close();
});

test('delete is refused while another live process holds the lease, allowed once it died', async () => {
  const file = tmp.file('busy.db');
  const store = RunStore.open(file);
  const id = store.createRun(sampleConfig());
  store.appendMetrics(id, [point(1, 0.9)]);
  const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  try {
    assert.equal(store.acquireRunLease(id, { pid: other.pid!, host: hostname() }).ok, true);
    const lease = store.runLease(id);
    assert.deepEqual(lease && { pid: lease.pid, alive: lease.alive, mine: lease.mine }, {
      pid: other.pid,
      alive: true,
      mine: false,
    });
    assert.throws(
      () => store.deleteRun(id),
      (e: unknown) => e instanceof StoreError && e.kind === 'invalid' && /being trained \(pid \d+/.test(e.message),
    );
    assert.equal(rowCounts(file, id).metrics, 1, 'nothing was deleted');
    other.kill('SIGKILL');
    await new Promise((r) => other.once('exit', r));
    assert.equal(store.runLease(id)?.alive, false, 'a dead holder reads as not alive');
    assert.equal(store.deleteRun(id), true);
    assert.deepEqual([rowCounts(file, id).runs, rowCounts(file, id).leases], [0, 0], 'the dead holder’s lease went with the run');
  } finally {
    other.kill('SIGKILL');
    store.close();
  }
});

test('a database from before tags (version 5) gains the tags column with an empty list for existing runs', () => {
  const file = tmp.file('v5.db');
  // Schema 5 exactly: the first five migrations, nothing after (later ones must still apply on top).
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma(`application_id = ${APP_ID}`);
  db.transaction(() => applyMigrations(db, 0, MIGRATIONS.slice(0, 5)))();
  assert.equal(db.pragma('user_version', { simple: true }), 5);
  db.prepare(
    "INSERT INTO runs (id, name, status, created_at, updated_at, config, mesh, steps) VALUES ('before01', 'old', 'paused', 1, 2, ?, 'batch=2', 100)",
  ).run(JSON.stringify(sampleConfig()));
  db.close();
  const store = RunStore.open(file);
  assert.deepEqual(store.getRun('before01').tags, []);
  assert.deepEqual(
    store.listRuns().map((r) => r.tags),
    [[]],
  );
  assert.ok(store.schemaVersion() >= 6);
  store.close();
});
