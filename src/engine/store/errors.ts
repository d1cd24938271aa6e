/**
 * Errors the store raises. Every message names the database file, so a user knows which file is at
 * fault. A StoreError is an ApiError: a foreign, corrupt or unwritable file is the user's input
 * (`invalid-input`, exit 2 in the CLI), a missing run is `not-found`, a held lock is `busy`.
 */
import { ApiError, type ApiErrorCode } from '../../shared/errors';

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
  | 'full' // the disk (or the file system's quota) is full
  | 'lease-lost' // this process's lease on a run or sweep was taken over: it may not write it any more
  | 'cantopen' // the path cannot be opened or created as a database (a user's --db or DTRAIN_DB)
  | 'sqlite'; // any other SQLite failure

const CODE_OF: Record<StoreErrorKind, ApiErrorCode> = {
  'not-sqlite': 'invalid-input',
  corrupt: 'invalid-input',
  foreign: 'invalid-input',
  'newer-schema': 'invalid-input',
  'needs-upgrade': 'invalid-input',
  readonly: 'invalid-input',
  invalid: 'invalid-input',
  full: 'invalid-input',
  cantopen: 'invalid-input',
  'lease-lost': 'conflict',
  'not-found': 'not-found',
  busy: 'busy',
  sqlite: 'internal',
};

export class StoreError extends ApiError {
  override name = 'StoreError';
  constructor(
    readonly kind: StoreErrorKind,
    /** The database file. */
    readonly file: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(CODE_OF[kind], message, undefined, options);
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
          : code.startsWith('SQLITE_FULL')
            ? 'full'
            : code.startsWith('SQLITE_CANTOPEN')
              ? 'cantopen'
              : 'sqlite';
  const what: Record<StoreErrorKind, string> = {
    'not-sqlite': 'is not an SQLite database',
    corrupt: 'is corrupt',
    busy: 'stayed locked by another process past the busy timeout (DTRAIN_DB_BUSY_SECONDS)',
    readonly: 'cannot be written',
    sqlite: 'failed',
    full: 'cannot grow: the disk is full',
    'lease-lost': '',
    cantopen: 'cannot be opened or created there (check the path and its permissions)',
    foreign: '',
    'newer-schema': '',
    'needs-upgrade': '',
    'not-found': '',
    invalid: '',
  };
  return new StoreError(kind, file, `Database ${file} ${what[kind]} (${code}: ${detail})`, { cause: error });
}
