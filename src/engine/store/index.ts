// The SQLite store: runs, configs, sharded checkpoints, metric history.
export { RunStore } from './run-store';
export type { RunStoreOptions } from './run-store';
export type { OpenOptions } from './database';
export { CheckpointCorruptError, StoreError } from './errors';
export type { StoreErrorKind } from './errors';
export { APP_ID, LATEST_SCHEMA, MIGRATIONS, validateMigrations } from './migrations';
export type { Migration } from './migrations';
export type { NewRunOptions, RunPatch } from './runs';
export type { PreparedCheckpoint, RewindResult, WriteCheckpointOptions } from './checkpoints';
export { prepareCheckpoint } from './checkpoints';
export type { LoadedCheckpoint, ValidCheckpointResult } from './checkpoint-load';
export type { LeaseHolder, LeaseResult, RunLease } from './leases';
export type { NewSweep, SweepOptions, SweepRecord, TrialRecord, RungRecord } from './sweeps';
