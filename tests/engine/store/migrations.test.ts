import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { APP_ID, LATEST_SCHEMA, MIGRATIONS, RunStore, validateMigrations, type Migration } from '../../../src/engine/store/index';
import { applyMigrations } from '../../../src/engine/store/migrations';
import { point, sampleCheckpoint, sampleConfig, tempDir } from './helpers';

const tmp = tempDir('migrations');
after(() => tmp.cleanup());

test('the migration list is valid: 1, 2, … and the latest is the last', () => {
  assert.equal(validateMigrations(MIGRATIONS), LATEST_SCHEMA);
  assert.equal(MIGRATIONS[MIGRATIONS.length - 1].version, LATEST_SCHEMA);
  const m = (version: number, title = 't'): Migration => ({ version, title, apply() {} });
  assert.throws(() => validateMigrations([m(1), m(3)]), /version 3, expected 2/);
  assert.throws(() => validateMigrations([m(2), m(1)]), /version 2, expected 1/);
  assert.throws(() => validateMigrations([m(1), m(1)]), /version 1, expected 2/);
  assert.throws(() => validateMigrations([m(1, ' ')]), /needs a title/);
  assert.throws(() => validateMigrations([]), /empty/);
});

test('a schema-1 database written by hand upgrades to the latest and keeps its data', () => {
  const file = tmp.file('v1.db');
  // Schema 1 as the first release wrote it (SQL copied here on purpose: the test must not depend on MIGRATIONS).
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma(`application_id = ${APP_ID}`);
  db.pragma('user_version = 1');
  db.exec(`
    CREATE TABLE runs (id TEXT PRIMARY KEY, name TEXT NOT NULL, status TEXT NOT NULL, created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL, config TEXT NOT NULL, mesh TEXT NOT NULL, steps INTEGER NOT NULL,
      step INTEGER NOT NULL DEFAULT 0) STRICT;
    CREATE TABLE metrics (run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE, step INTEGER NOT NULL,
      loss REAL, learning_rate REAL, grad_norm REAL, step_time_ms REAL, samples_per_sec REAL, time REAL,
      metrics TEXT NOT NULL DEFAULT '{}', PRIMARY KEY (run_id, step)) STRICT, WITHOUT ROWID;`);
  const config = sampleConfig({ name: 'old run' });
  db.prepare("INSERT INTO runs VALUES ('oldrun01', 'old run', 'paused', 1000, 2000, ?, 'batch=2', 100, 2)").run(
    JSON.stringify(config),
  );
  db.prepare("INSERT INTO metrics VALUES ('oldrun01', 1, 0.9, 0.001, 0.5, 3, 100, 1001, '{\"accuracy\":0.4}')").run();
  db.prepare("INSERT INTO metrics VALUES ('oldrun01', 2, 0.8, 0.001, 0.4, 3, 100, 1002, '{}')").run();
  db.close();

  const store = RunStore.open(file);
  assert.equal(store.schemaVersion(), LATEST_SCHEMA);
  const run = store.getRun('oldrun01');
  assert.deepEqual(
    { name: run.name, status: run.status, step: run.step, notes: run.notes, error: run.error, lastLoss: run.lastLoss },
    { name: 'old run', status: 'paused', step: 2, notes: '', error: null, lastLoss: 0.8 },
  );
  assert.deepEqual(run.config, config);
  assert.deepEqual(
    store.getMetrics('oldrun01').map((p) => [p.step, p.loss, p.metrics]),
    [
      [1, 0.9, { accuracy: 0.4 }],
      [2, 0.8, {}],
    ],
  );
  // The upgraded run takes the newer features: checkpoints, device stats, notes.
  const info = store.writeCheckpoint('oldrun01', sampleCheckpoint(2));
  assert.equal(store.loadCheckpoint(info.id).step, 2);
  store.appendDeviceStats('oldrun01', 2, [{ deviceId: 0, pid: 1, backend: 'wasm', shardBytes: 1, rssBytes: 1, stepTimeMs: 1 }]);
  store.updateRun('oldrun01', { notes: 'resumed after upgrade' });
  store.appendMetrics('oldrun01', [point(3, 0.7)]);
  assert.deepEqual(store.integrityCheck(), ['ok']);
  store.close();
  // Opening again is a no-op.
  const again = RunStore.open(file);
  assert.equal(again.getRun('oldrun01').notes, 'resumed after upgrade');
  again.close();
});

test('a migration that fails midway leaves the database at its old version, nothing half-applied', () => {
  const db = new Database(':memory:');
  const failing: Migration[] = [
    MIGRATIONS[0],
    {
      version: 2,
      title: 'breaks',
      apply: (d) => {
        d.exec('CREATE TABLE half (x)');
        throw new Error('disk on fire');
      },
    },
  ];
  db.transaction(() => applyMigrations(db, 0, MIGRATIONS.slice(0, 1))).immediate();
  assert.throws(() => db.transaction(() => applyMigrations(db, 1, failing)).immediate(), /disk on fire/);
  assert.equal(db.pragma('user_version', { simple: true }), 1);
  assert.equal(db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'half'").pluck().get(), 0);
  db.close();
});
