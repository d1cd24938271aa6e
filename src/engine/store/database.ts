/**
 * Opening the database file: refuse what is not ours before writing a single byte to it, then set the
 * connection up (WAL, foreign keys, busy timeout) and migrate the schema in one transaction.
 */
import Database from 'better-sqlite3';
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { StoreError, sqliteCode, toStoreError } from './errors';
import { APP_ID, KNOWN_TABLES, LATEST_SCHEMA, applyMigrations } from './migrations';

export interface OpenOptions {
  /** Open without writing: no migrations, no WAL switch. */
  readonly?: boolean;
  /** How long to wait for another process's write lock before failing (default 30 s). */
  busyTimeoutMs?: number;
  /**
   * Path of a better_sqlite3.node built for this runtime. Electron needs its own ABI build
   * (scripts/rebuild-native.mjs writes one outside node_modules, so `npm test` keeps the Node build).
   */
  nativeBinding?: string;
}

/** 64 KiB pages: checkpoints are large BLOBs; 4 KiB pages made a 100 MB write ~2.5× slower (bench/checkpoint.ts). */
const PAGE_SIZE = 65536;
const SQLITE_HEADER = 'SQLite format 3\0';

/** Opens (creating if needed) a dtrain database, or throws a StoreError naming the file. */
export function openDatabase(file: string, options: OpenOptions = {}): Database.Database {
  const readonly = options.readonly ?? false;
  sniffFile(file, readonly);
  let db: Database.Database;
  try {
    db = new Database(file, {
      readonly,
      fileMustExist: readonly,
      timeout: options.busyTimeoutMs ?? 30_000,
      ...(options.nativeBinding ? { nativeBinding: options.nativeBinding } : {}),
    });
  } catch (error) {
    throw toStoreError(error, file);
  }
  try {
    const timeoutMs = options.busyTimeoutMs ?? 30_000;
    // One read transaction: another process may commit its migration between two separate reads.
    const identity = retryBusy(() => db.transaction(() => readIdentity(db))(), timeoutMs);
    checkIdentity(file, identity);
    if (readonly) checkReadableVersion(file, identity.version);
    else retryBusy(() => configure(db), timeoutMs);
    db.pragma('foreign_keys = ON');
    if (!readonly && identity.version < LATEST_SCHEMA) migrate(db, file);
    return db;
  } catch (error) {
    db.close();
    throw toStoreError(error, file);
  }
}

/** A missing file is fine (it will be created) unless read-only; a non-SQLite file is refused untouched. */
function sniffFile(file: string, readonly: boolean): void {
  if (!existsSync(file)) {
    if (readonly) throw new StoreError('not-found', file, `No database at ${file}.`);
    return;
  }
  const stat = statSync(file);
  if (stat.isDirectory()) throw new StoreError('invalid', file, `${file} is a directory, not a database file.`);
  // A FIFO would block the read below, a device would never be a database: refused untouched.
  if (!stat.isFile()) throw new StoreError('invalid', file, `${file} is not a regular file, not a database file.`);
  if (stat.size === 0) return; // SQLite treats an empty file as a new database
  const head = Buffer.alloc(16);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, head, 0, 16, 0);
  } finally {
    closeSync(fd);
  }
  if (head.toString('latin1') !== SQLITE_HEADER) {
    throw new StoreError('not-sqlite', file, `${file} is not a dtrain database (not an SQLite file); it was left untouched.`);
  }
}

interface Identity {
  appId: number;
  version: number;
  tables: string[];
}

function readIdentity(db: Database.Database): Identity {
  const appId = db.pragma('application_id', { simple: true }) as number;
  const version = db.pragma('user_version', { simple: true }) as number;
  const rows = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as {
    name: string;
  }[];
  return { appId, version, tables: rows.map((r) => r.name) };
}

function checkIdentity(file: string, { appId, version, tables }: Identity): void {
  const untouched = 'it was left untouched';
  if (appId !== 0 && appId !== APP_ID) {
    const hex = `0x${(appId >>> 0).toString(16).padStart(8, '0')}`;
    throw new StoreError(
      'foreign',
      file,
      `${file} is an SQLite database of another application (application_id ${hex}), not a dtrain database; ${untouched}.`,
    );
  }
  const unknown = tables.filter((t) => !KNOWN_TABLES.includes(t));
  if ((appId === 0 && (tables.length > 0 || version !== 0)) || unknown.length > 0) {
    const list = (unknown.length > 0 ? unknown : tables).slice(0, 5).join(', ');
    throw new StoreError(
      'foreign',
      file,
      `${file} is an SQLite database with unknown tables (${list}), not a dtrain database; ${untouched}.`,
    );
  }
  if (version > LATEST_SCHEMA) {
    throw new StoreError(
      'newer-schema',
      file,
      `${file}: this database was written by a newer dtrain (schema ${version} > ${LATEST_SCHEMA}); update dtrain to open it.`,
    );
  }
}

function checkReadableVersion(file: string, version: number): void {
  if (version === 0) throw new StoreError('not-found', file, `${file} holds no dtrain data yet.`);
  if (version < LATEST_SCHEMA) {
    throw new StoreError(
      'needs-upgrade',
      file,
      `${file} has schema ${version}; open it read-write once to upgrade it to schema ${LATEST_SCHEMA}.`,
    );
  }
}

/**
 * Retries `fn` while SQLite reports BUSY. Switching a new file to WAL while another process does the
 * same fails with SQLITE_BUSY at once (SQLite does not call the busy handler there), so two app
 * instances starting together would otherwise fail.
 */
function retryBusy<T>(fn: () => T, timeoutMs: number): T {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    try {
      return fn();
    } catch (error) {
      if (!sqliteCode(error).startsWith('SQLITE_BUSY') || Date.now() > deadline) throw error;
      Atomics.wait(SLEEPER, 0, 0, Math.min(2 + attempt * 2, 50)); // a synchronous sleep
    }
  }
}
const SLEEPER = new Int32Array(new SharedArrayBuffer(4));

function configure(db: Database.Database): void {
  db.pragma(`page_size = ${PAGE_SIZE}`); // only takes effect while the file is still empty
  db.pragma('journal_mode = WAL'); // readers never block the writer; two app instances can share the file
  db.pragma('synchronous = NORMAL'); // commits are atomic; checkpoints switch to FULL (checkpoints.ts)
  // After a checkpoint the WAL may hold 100s of MB; let SQLite shrink the file back when it resets.
  db.pragma(`journal_size_limit = ${64 * 2 ** 20}`);
}

/** Runs the pending migrations under the write lock, re-reading the version (another process may have won). */
function migrate(db: Database.Database, file: string): void {
  db.transaction(() => {
    const identity = readIdentity(db);
    checkIdentity(file, identity);
    if (identity.version === LATEST_SCHEMA) return;
    if (identity.version === 0) db.pragma(`application_id = ${APP_ID}`);
    applyMigrations(db, identity.version);
  }).immediate();
}
