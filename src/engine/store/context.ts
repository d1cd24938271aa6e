/** What the store's query modules share: the connection, its file name (for errors), statement cache. */
import type Database from 'better-sqlite3';
import { StoreError } from './errors';

export interface StoreContext {
  readonly db: Database.Database;
  readonly file: string;
  /** Largest BLOB stored in one row; a bigger shard is split into parts (SQLite caps a BLOB at 1e9 bytes). */
  readonly maxPartBytes: number;
  /** Where new run and sweep ids draw their bytes (tests pin it; default crypto.randomBytes). */
  readonly idBytes?: (n: number) => Uint8Array;
}

const cache = new WeakMap<Database.Database, Map<string, Database.Statement>>();

/** A prepared statement, compiled once per connection. */
export function sql<T extends unknown[] = unknown[]>(ctx: StoreContext, text: string): Database.Statement<T> {
  let byText = cache.get(ctx.db);
  if (!byText) cache.set(ctx.db, (byText = new Map()));
  let stmt = byText.get(text);
  if (!stmt) byText.set(text, (stmt = ctx.db.prepare(text)));
  return stmt as Database.Statement<T>;
}

/** Runs `fn` in a write transaction that takes the lock up front (a deferred one could fail with BUSY on upgrade). */
export function writeTransaction<R>(ctx: StoreContext, fn: () => R): R {
  return ctx.db.transaction(fn).immediate();
}

export function requireRun(ctx: StoreContext, runId: string): void {
  const row = sql(ctx, 'SELECT 1 FROM runs WHERE id = ?').get(runId);
  if (!row) throw new StoreError('not-found', ctx.file, `No run ${JSON.stringify(runId)} in ${ctx.file}.`);
}
