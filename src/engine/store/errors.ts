/** Errors the store raises. Every message names the database file, so a user knows which file is at fault. */

export type StoreErrorKind =
  | 'not-sqlite' // not an SQLite file at all
  | 'corrupt' // SQLite reports a malformed database
  | 'foreign' // an SQLite file of another application
  | 'newer-schema' // written by a newer dtrain
  | 'needs-upgrade' // older schema opened read-only
  | 'not-found' // no such run / checkpoint / file
  | 'busy' // another process held the lock past the busy timeout
  | 'readonly'
  | 'invalid' // bad input from the caller
  | 'sqlite'; // any other SQLite failure

export class StoreError extends Error {
  override name = 'StoreError';
  constructor(
    readonly kind: StoreErrorKind,
    /** The database file. */
    readonly file: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A checkpoint whose stored data no longer matches its hash (or cannot be read back). */
export class CheckpointCorruptError extends StoreError {
  override name = 'CheckpointCorruptError';
  constructor(
    file: string,
    readonly checkpointId: number,
    readonly runId: string,
    readonly step: number,
    /** What failed: a shard's hash, the manifest hash, or SQLite's own error. */
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super('corrupt', file, `Checkpoint ${checkpointId} (run ${runId}, step ${step}) in ${file} is corrupt: ${reason}`, options);
  }
}

interface SqliteLikeError {
  code?: unknown;
  message?: unknown;
}

/** SQLite's extended result code of a thrown error (`SQLITE_CORRUPT_VTAB`…), or ''. */
export function sqliteCode(error: unknown): string {
  const code = (error as SqliteLikeError | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : '';
}

/** Maps a better-sqlite3 error to a StoreError that names the file; other errors pass through. */
export function toStoreError(error: unknown, file: string): unknown {
  if (error instanceof StoreError) return error;
  const code = sqliteCode(error);
  if (!code) return error;
  const detail = String((error as SqliteLikeError).message);
  const kind: StoreErrorKind = code.startsWith('SQLITE_NOTADB')
    ? 'not-sqlite'
    : code.startsWith('SQLITE_CORRUPT')
      ? 'corrupt'
      : code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')
        ? 'busy'
        : code.startsWith('SQLITE_READONLY')
          ? 'readonly'
          : 'sqlite';
  const what: Record<StoreErrorKind, string> = {
    'not-sqlite': 'is not an SQLite database',
    corrupt: 'is corrupt',
    busy: 'stayed locked by another process past the busy timeout',
    readonly: 'cannot be written',
    sqlite: 'failed',
    foreign: '',
    'newer-schema': '',
    'needs-upgrade': '',
    'not-found': '',
    invalid: '',
  };
  return new StoreError(kind, file, `Database ${file} ${what[kind]} (${code}: ${detail})`, { cause: error });
}
