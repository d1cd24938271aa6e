// Opening files that are not (or not yet, or no longer) a database this code can use.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { APP_ID, LATEST_SCHEMA, RunStore, StoreError, type StoreErrorKind } from '../../../src/engine/store/index';
import { point, sampleConfig, tempDir } from './helpers';

const tmp = tempDir('files');
after(() => tmp.cleanup());

function refuses(file: string, kind: StoreErrorKind, message: RegExp, options = {}): void {
  const before = readFileSync(file);
  assert.throws(
    () => RunStore.open(file, options),
    (e: unknown) => {
      assert.ok(e instanceof StoreError, `a StoreError, got ${e}`);
      assert.equal(e.kind, kind);
      assert.equal(e.file, file);
      assert.ok(e.message.includes(file), `the message names the file: ${e.message}`);
      assert.match(e.message, message);
      return true;
    },
  );
  assert.deepEqual(readFileSync(file), before, 'the file is left untouched');
}

test('a text file is not an SQLite database', () => {
  const file = tmp.file('notes.txt');
  writeFileSync(file, 'these are my notes, not a database\n'.repeat(20));
  refuses(file, 'not-sqlite', /is not a dtrain database \(not an SQLite file\); it was left untouched/);
});

test('an SQLite header followed by garbage is reported, not a crash', () => {
  const file = tmp.file('garbage.db');
  const bytes = Buffer.alloc(8192, 0xab);
  bytes.write('SQLite format 3\0', 0, 'latin1');
  writeFileSync(file, bytes);
  const before = readFileSync(file);
  assert.throws(
    () => RunStore.open(file),
    (e: unknown) => e instanceof StoreError && ['corrupt', 'not-sqlite'].includes(e.kind) && e.message.includes(file),
  );
  assert.deepEqual(readFileSync(file), before);
});

test('a dtrain database with a damaged schema page reports corruption naming the file', () => {
  const file = tmp.file('damaged.db');
  const store = RunStore.open(file);
  store.createRun(sampleConfig());
  store.close();
  const bytes = readFileSync(file);
  bytes.fill(0x5a, 100, 65536); // page 1 past the header: sqlite_master's b-tree
  writeFileSync(file, bytes);
  refuses(file, 'corrupt', /is corrupt/);
});

test('a foreign SQLite file (other application_id, or unknown tables) is refused untouched', () => {
  const other = tmp.file('other-app.db');
  const db = new Database(other);
  db.pragma('application_id = 1234');
  db.exec('CREATE TABLE runs (id TEXT)');
  db.close();
  refuses(other, 'foreign', /another application \(application_id 0x000004d2\)/);

  const plain = tmp.file('plain.db');
  const db2 = new Database(plain);
  db2.exec("CREATE TABLE users (name TEXT); INSERT INTO users VALUES ('ada')");
  db2.close();
  refuses(plain, 'foreign', /unknown tables \(users\), not a dtrain database/);
});

test('a database written by a newer dtrain is refused with both schema numbers', () => {
  const file = tmp.file('newer.db');
  RunStore.open(file).close();
  const db = new Database(file);
  db.pragma(`user_version = ${LATEST_SCHEMA + 2}`);
  db.close();
  refuses(
    file,
    'newer-schema',
    new RegExp(`this database was written by a newer dtrain \\(schema ${LATEST_SCHEMA + 2} > ${LATEST_SCHEMA}\\)`),
  );
  refuses(file, 'newer-schema', /newer dtrain/, { readonly: true });
});

test('read-only: missing file, old schema, and writes are clear errors; reads work', () => {
  assert.throws(
    () => RunStore.open(tmp.file('missing.db'), { readonly: true }),
    (e: unknown) => e instanceof StoreError && e.kind === 'not-found',
  );
  const file = tmp.file('ro.db');
  const writer = RunStore.open(file);
  const id = writer.createRun(sampleConfig());
  writer.appendMetrics(id, [point(1, 0.5)]);
  const reader = RunStore.open(file, { readonly: true });
  assert.equal(reader.getMetrics(id).length, 1);
  assert.throws(
    () => reader.appendMetrics(id, [point(2, 0.4)]),
    (e: unknown) => e instanceof StoreError && e.kind === 'readonly',
  );
  reader.close();
  writer.close();

  const old = tmp.file('old-ro.db');
  const db = new Database(old);
  db.pragma(`application_id = ${APP_ID}`);
  db.pragma('user_version = 1');
  db.exec('CREATE TABLE runs (id TEXT)');
  db.close();
  refuses(old, 'needs-upgrade', /has schema 1; open it read-write once/, { readonly: true });
});

test('a new database is stamped with the application id, the latest schema and WAL', () => {
  const file = tmp.file('fresh.db');
  const store = RunStore.open(file);
  assert.equal(store.schemaVersion(), LATEST_SCHEMA);
  store.close();
  const db = new Database(file, { readonly: true });
  assert.equal(db.pragma('application_id', { simple: true }), APP_ID);
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  assert.equal(db.pragma('page_size', { simple: true }), 65536);
  db.close();
  // An empty file (e.g. touched by a user) is a new database, not an error.
  const empty = tmp.file('empty.db');
  writeFileSync(empty, '');
  RunStore.open(empty).close();
});

test('nativeBinding selects the better_sqlite3.node to load (how Electron gets its own ABI build)', () => {
  const file = tmp.file('binding.db');
  const store = RunStore.open(file, { nativeBinding: 'node_modules/better-sqlite3/build/Release/better_sqlite3.node' });
  store.createRun(sampleConfig());
  assert.equal(store.listRuns().length, 1);
  store.close();
  assert.throws(
    () => RunStore.open(tmp.file('x.db'), { nativeBinding: tmp.file('missing.node') }),
    /missing\.node|Cannot find|cannot open/i,
  );
});
