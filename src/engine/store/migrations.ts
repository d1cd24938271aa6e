/**
 * The schema, as an ordered list of migrations. `user_version` holds the number of the last one
 * applied; the list is validated when this module loads (ordered, no gaps, latest = last), so a
 * mis-numbered migration fails every test instead of corrupting a user's database.
 */
import type Database from 'better-sqlite3';

export interface Migration {
  readonly version: number;
  readonly title: string;
  /** SQL only: runs inside the migration transaction. */
  apply(db: Database.Database): void;
}

/** `PRAGMA application_id`: 'dtrn'. Marks the file as ours, so a foreign SQLite file is refused. */
export const APP_ID = 0x6474726e;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    title: 'runs and metric history',
    apply(db) {
      db.exec(`
        CREATE TABLE runs (
          id TEXT PRIMARY KEY,
          name TEXT NOT NULL,
          status TEXT NOT NULL,
          created_at INTEGER NOT NULL,
          updated_at INTEGER NOT NULL,
          config TEXT NOT NULL,
          mesh TEXT NOT NULL,
          steps INTEGER NOT NULL,
          step INTEGER NOT NULL DEFAULT 0
        ) STRICT;
        CREATE TABLE metrics (
          run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
          step INTEGER NOT NULL,
          loss REAL,
          learning_rate REAL,
          grad_norm REAL,
          step_time_ms REAL,
          samples_per_sec REAL,
          time REAL,
          metrics TEXT NOT NULL DEFAULT '{}',
          PRIMARY KEY (run_id, step)
        ) STRICT, WITHOUT ROWID;`);
    },
  },
  {
    version: 2,
    title: 'sharded checkpoints (one row per distinct shard, by logical path and layout)',
    apply(db) {
      // AUTOINCREMENT: an id names one checkpoint forever, even after retention deletes older ones.
      // The BLOB column comes last so metadata reads never touch its overflow pages.
      db.exec(`
        CREATE TABLE checkpoints (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
          step INTEGER NOT NULL,
          iterations INTEGER NOT NULL,
          state TEXT NOT NULL,
          mesh TEXT NOT NULL,
          created_at INTEGER NOT NULL,
          bytes INTEGER NOT NULL,
          hash TEXT NOT NULL
        ) STRICT;
        CREATE INDEX checkpoints_by_run ON checkpoints(run_id, id);
        CREATE TABLE checkpoint_tensors (
          checkpoint_id INTEGER NOT NULL REFERENCES checkpoints(id) ON DELETE CASCADE,
          path TEXT NOT NULL,
          dtype TEXT NOT NULL,
          global_shape TEXT NOT NULL,
          specs TEXT NOT NULL,
          mesh TEXT NOT NULL,
          PRIMARY KEY (checkpoint_id, path)
        ) STRICT, WITHOUT ROWID;
        CREATE TABLE checkpoint_shards (
          id INTEGER PRIMARY KEY,
          checkpoint_id INTEGER NOT NULL,
          path TEXT NOT NULL,
          slices TEXT NOT NULL,
          part INTEGER NOT NULL,
          hash TEXT NOT NULL,
          data BLOB NOT NULL,
          UNIQUE (checkpoint_id, path, slices, part),
          FOREIGN KEY (checkpoint_id, path) REFERENCES checkpoint_tensors(checkpoint_id, path) ON DELETE CASCADE
        ) STRICT;`);
    },
  },
  {
    version: 3,
    title: 'device stats, run notes and errors',
    apply(db) {
      db.exec(`
        ALTER TABLE runs ADD COLUMN notes TEXT NOT NULL DEFAULT '';
        ALTER TABLE runs ADD COLUMN error TEXT;
        CREATE TABLE device_stats (
          run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
          step INTEGER NOT NULL,
          device_id INTEGER NOT NULL,
          pid INTEGER NOT NULL,
          backend TEXT NOT NULL,
          shard_bytes INTEGER NOT NULL,
          rss_bytes INTEGER NOT NULL,
          step_time_ms REAL,
          PRIMARY KEY (run_id, step, device_id)
        ) STRICT, WITHOUT ROWID;`);
    },
  },
  {
    version: 4,
    title: 'run leases: one training process per run',
    apply(db) {
      db.exec(`
        CREATE TABLE run_leases (
          run_id TEXT PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
          pid INTEGER NOT NULL,
          host TEXT NOT NULL,
          acquired_at INTEGER NOT NULL
        ) STRICT, WITHOUT ROWID;`);
    },
  },
  {
    version: 5,
    title: 'held-out evaluation, early stopping (best checkpoint, stop reason) and sweeps',
    apply(db) {
      // sweep_trials.run_id: SET NULL, so deleting a trial's run leaves the trial (re-run on resume).
      // sweep_rungs: every value a trial recorded at a successive-halving rung, in arrival order (seq),
      // with the decision taken, so the pruning can be re-checked from the database alone.
      db.exec(`
        ALTER TABLE runs ADD COLUMN stop_reason TEXT;
        ALTER TABLE checkpoints ADD COLUMN best INTEGER NOT NULL DEFAULT 0;
        CREATE TABLE sweeps (
          id TEXT PRIMARY KEY,
          name TEXT NOT NULL,
          status TEXT NOT NULL,
          created_at INTEGER NOT NULL,
          updated_at INTEGER NOT NULL,
          method TEXT NOT NULL,
          monitor TEXT NOT NULL,
          mode TEXT NOT NULL,
          space TEXT NOT NULL,
          base_config TEXT NOT NULL,
          options TEXT NOT NULL
        ) STRICT;
        CREATE TABLE sweep_trials (
          sweep_id TEXT NOT NULL REFERENCES sweeps(id) ON DELETE CASCADE,
          trial_index INTEGER NOT NULL,
          settings TEXT NOT NULL,
          run_id TEXT REFERENCES runs(id) ON DELETE SET NULL,
          pruned INTEGER NOT NULL DEFAULT 0,
          rung INTEGER NOT NULL DEFAULT 0,
          objective REAL,
          PRIMARY KEY (sweep_id, trial_index)
        ) STRICT;
        CREATE TABLE sweep_rungs (
          sweep_id TEXT NOT NULL REFERENCES sweeps(id) ON DELETE CASCADE,
          rung INTEGER NOT NULL,
          trial_index INTEGER NOT NULL,
          value REAL,
          seq INTEGER NOT NULL,
          kept INTEGER NOT NULL,
          PRIMARY KEY (sweep_id, rung, trial_index)
        ) STRICT;`);
    },
  },
  {
    version: 6,
    title: 'run tags (a JSON array of strings, for filtering the runs list)',
    apply(db) {
      db.exec(`ALTER TABLE runs ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';`);
    },
  },
  {
    version: 7,
    title: 'a run continued from another (a Keras archive back from a cluster) names its parent',
    apply(db) {
      // SET NULL: deleting the parent keeps the child run, only the link goes.
      db.exec('ALTER TABLE runs ADD COLUMN parent_id TEXT REFERENCES runs(id) ON DELETE SET NULL;');
    },
  },
  {
    version: 8,
    title: "Adadelta's per-variable state and each device's step time, throughput and memory over a run",
    apply(db) {
      db.exec(`
        CREATE TABLE optimizer_stats (
          run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
          step INTEGER NOT NULL,
          time REAL NOT NULL,
          variables TEXT NOT NULL,
          PRIMARY KEY (run_id, step)
        ) STRICT, WITHOUT ROWID;
        CREATE TABLE device_history (
          run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
          step INTEGER NOT NULL,
          device_id INTEGER NOT NULL,
          time REAL NOT NULL,
          step_time_ms REAL,
          samples_per_sec REAL,
          rss_bytes INTEGER NOT NULL,
          peak_rss_bytes INTEGER NOT NULL,
          PRIMARY KEY (run_id, step, device_id)
        ) STRICT, WITHOUT ROWID;`);
    },
  },
  {
    version: 9,
    title: "the memory check's plan of a run (fully sharded or not, the estimate) and each worker's peak resident memory",
    apply(db) {
      db.exec(`ALTER TABLE runs ADD COLUMN memory TEXT;
        ALTER TABLE device_stats ADD COLUMN peak_rss_bytes INTEGER;`);
    },
  },
  {
    version: 10,
    title: 'leases with a heartbeat (last seen, expiry) and the holder process start time; sweep leases',
    apply(db) {
      // A lease of an older dtrain has no heartbeat: NULL here, judged by its acquired_at (docs/leases.md).
      db.exec(`
        ALTER TABLE run_leases ADD COLUMN heartbeat_at INTEGER;
        ALTER TABLE run_leases ADD COLUMN expires_at INTEGER;
        ALTER TABLE run_leases ADD COLUMN process_start TEXT;
        CREATE TABLE sweep_leases (
          sweep_id TEXT PRIMARY KEY REFERENCES sweeps(id) ON DELETE CASCADE,
          pid INTEGER NOT NULL,
          host TEXT NOT NULL,
          acquired_at INTEGER NOT NULL,
          heartbeat_at INTEGER,
          expires_at INTEGER,
          process_start TEXT
        ) STRICT, WITHOUT ROWID;`);
    },
  },
];

/** The tables a current database holds; anything else in an app_id-less file marks it as foreign. */
export const KNOWN_TABLES = [
  'runs',
  'metrics',
  'checkpoints',
  'checkpoint_tensors',
  'checkpoint_shards',
  'device_stats',
  'run_leases',
  'sweeps',
  'sweep_trials',
  'sweep_rungs',
  'optimizer_stats',
  'device_history',
  'sweep_leases',
];

/** Throws unless versions run 1, 2, … with no gap or repeat and every entry has a title and apply. */
export function validateMigrations(list: readonly Migration[]): number {
  if (list.length === 0) throw new Error('The migration list is empty.');
  list.forEach((m, i) => {
    if (m.version !== i + 1) {
      throw new Error(`Migration #${i} has version ${m.version}, expected ${i + 1}: versions must be 1, 2, … with no gaps.`);
    }
    if (typeof m.title !== 'string' || m.title.trim() === '' || typeof m.apply !== 'function') {
      throw new Error(`Migration ${m.version} needs a title and an apply function.`);
    }
  });
  return list[list.length - 1].version;
}

/** The schema version this code writes (the last migration). */
export const LATEST_SCHEMA = validateMigrations(MIGRATIONS);

/** Applies the migrations after `from`, in order; the caller holds the write transaction. */
export function applyMigrations(db: Database.Database, from: number, list: readonly Migration[] = MIGRATIONS): number {
  const latest = validateMigrations(list);
  for (const m of list) {
    if (m.version <= from) continue;
    m.apply(db);
    db.pragma(`user_version = ${m.version}`);
  }
  return Math.max(from, latest);
}
