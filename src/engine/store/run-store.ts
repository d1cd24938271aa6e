/**
 * The SQLite store for runs, configs, sharded checkpoints and metric history (one database file).
 * A thin facade: each call delegates to a query module and turns SQLite failures into StoreErrors
 * that name the file. Synchronous (better-sqlite3): the run controller copies the WAL while workers compute.
 */
import type Database from 'better-sqlite3';
import type {
  CheckpointInfo,
  DeviceHistoryPoint,
  DeviceStats,
  MetricPoint,
  OptimizerStatsPoint,
  RunConfig,
  RunDetail,
  RunMemory,
  RunSummary,
  SweepStatus,
} from '../../shared/api';
import type { CheckpointData } from '../../core/checkpoint/index';
import type { StoreContext } from './context';
import { type OpenOptions, openDatabase } from './database';
import { StoreError, toStoreError } from './errors';
import * as checkpoints from './checkpoints';
import * as load from './checkpoint-load';
import * as metrics from './metrics';
import * as history from './run-history';
import * as runs from './runs';
import type * as leases from './leases';
import { thisProcess } from './process-identity';
import { LeaseBook, type DescribedLease } from './lease-book';
import * as sweeps from './sweeps';

export interface RunStoreOptions extends OpenOptions {
  /** Largest BLOB per row; bigger shards are split (default 256 MiB; SQLite's cap is 1e9 bytes). */
  maxPartBytes?: number;
  /** Random bytes for new run and sweep ids (a test seam; default crypto.randomBytes). */
  idBytes?: (n: number) => Uint8Array;
  /** How long this process's leases last without a heartbeat (default 60 s; DTRAIN_LEASE_SECONDS). */
  leaseMs?: number;
}

export class RunStore {
  readonly path: string;
  readonly readonly: boolean;
  readonly leaseMs: number;
  private readonly ctx: StoreContext;
  /** Run and sweep leases; the writes of those this process holds are fenced (docs/leases.md). */
  private readonly leases: LeaseBook;

  private constructor(path: string, db: Database.Database, options: RunStoreOptions) {
    this.path = path;
    this.readonly = options.readonly ?? false;
    this.leaseMs = options.leaseMs ?? 60_000;
    this.ctx = { db, file: path, maxPartBytes: options.maxPartBytes ?? 256 * 2 ** 20, idBytes: options.idBytes };
    this.leases = new LeaseBook(this.ctx, this.leaseMs);
  }

  /** Opens or creates the database; refuses foreign, corrupt or newer files with a StoreError. */
  static open(path: string, options: RunStoreOptions = {}): RunStore {
    return new RunStore(path, openDatabase(path, options), options);
  }

  close(): void {
    if (this.ctx.db.open) this.ctx.db.close();
  }

  get isOpen(): boolean {
    return this.ctx.db.open;
  }

  /** The schema version of the file (`PRAGMA user_version`). */
  schemaVersion(): number {
    return this.guard(() => this.ctx.db.pragma('user_version', { simple: true }) as number);
  }

  /** `PRAGMA integrity_check`: ['ok'] when the file is sound, else SQLite's list of problems. */
  integrityCheck(): string[] {
    return this.guard(() =>
      (this.ctx.db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check),
    );
  }

  /** Copies the WAL into the main file now (see WriteCheckpointOptions.copyWal). */
  checkpointWal(): { walFrames: number; copied: number } {
    return this.guard(() => checkpoints.checkpointWal(this.ctx));
  }

  // Runs.

  /** Creates a run and returns its id (8 URL-safe characters). */
  createRun(config: RunConfig, options?: runs.NewRunOptions): string {
    return this.guard(() => runs.createRun(this.ctx, config, options));
  }

  updateRun(runId: string, patch: runs.RunPatch): RunSummary {
    return this.guard(() => {
      this.leases.fenced('run_leases', runId, () => runs.updateRun(this.ctx, runId, patch));
      return runs.toSummary(runs.getRunRow(this.ctx, runId));
    });
  }

  /** Newest first, each with its last recorded loss. */
  listRuns(): RunSummary[] {
    return this.guard(() => runs.listRuns(this.ctx));
  }

  getRun(runId: string): RunDetail {
    return this.guard(() => {
      const row = runs.getRunRow(this.ctx, runId);
      return {
        ...runs.toSummary(row),
        config: runs.parseConfig(this.ctx, row),
        checkpoints: checkpoints.listCheckpoints(this.ctx, runId),
        devices: metrics.latestDeviceStats(this.ctx, runId),
        error: row.error,
        notes: row.notes,
        parentId: row.parent_id,
        memory: row.memory === null ? null : (JSON.parse(row.memory) as RunMemory),
      };
    });
  }

  /**
   * Deletes the run with its metrics, device stats and checkpoints in one transaction; false if there
   * was no such run. Refused (StoreError 'invalid') while a live process holds the run's lease.
   */
  deleteRun(runId: string, options: { takeOver?: boolean } = {}): boolean {
    return this.guard(() => runs.deleteRun(this.ctx, runId, options.takeOver ? () => false : (h) => this.leases.binds(h)));
  }

  // Metrics.

  appendMetrics(runId: string, points: readonly MetricPoint[]): void {
    this.guard(() => this.leases.fenced('run_leases', runId, () => metrics.appendMetrics(this.ctx, runId, points)));
  }

  /** Merges `val_*` figures into the point at `step`; returns the merged point (null if none there). */
  mergeMetrics(runId: string, step: number, extra: Record<string, number>): MetricPoint | null {
    return this.guard(() => this.leases.fenced('run_leases', runId, () => metrics.mergeMetrics(this.ctx, runId, step, extra)));
  }

  /** Points in step order; with `sinceStep`, only those after it. */
  getMetrics(runId: string, sinceStep?: number): MetricPoint[] {
    return this.guard(() => metrics.getMetrics(this.ctx, runId, sinceStep));
  }

  appendDeviceStats(runId: string, step: number, stats: readonly DeviceStats[]): void {
    this.guard(() => this.leases.fenced('run_leases', runId, () => metrics.appendDeviceStats(this.ctx, runId, step, stats)));
  }

  /** Adadelta's per-variable figures at one step each (replacing a re-recorded step). */
  appendOptimizerStats(runId: string, points: readonly OptimizerStatsPoint[]): void {
    this.guard(() => history.appendOptimizerStats(this.ctx, runId, points));
  }

  /** In step order; with `sinceStep`, only later steps. */
  getOptimizerStats(runId: string, sinceStep?: number): OptimizerStatsPoint[] {
    return this.guard(() => history.getOptimizerStats(this.ctx, runId, sinceStep));
  }

  appendDeviceHistory(runId: string, points: readonly DeviceHistoryPoint[]): void {
    this.guard(() => history.appendDeviceHistory(this.ctx, runId, points));
  }

  /** Every device's samples, in step then device order. */
  getDeviceHistory(runId: string): DeviceHistoryPoint[] {
    return this.guard(() => history.getDeviceHistory(this.ctx, runId));
  }

  metricsCsv(runId: string): string {
    return this.guard(() => metrics.metricsCsv(this.ctx, runId));
  }

  // Checkpoints.

  /** Saves a checkpoint in one durable transaction and keeps the run's newest `keep` (default 3). */
  writeCheckpoint(runId: string, data: CheckpointData, options?: checkpoints.WriteCheckpointOptions): CheckpointInfo {
    return this.guard(() => {
      const prepared = checkpoints.prepareCheckpoint(this.path, data, this.ctx.maxPartBytes);
      return checkpoints.insertCheckpoint(this.ctx, runId, prepared, {
        ...options,
        fence: this.leases.fence('run_leases', runId),
      });
    });
  }

  /** Inserts a checkpoint already validated and hashed by `prepareCheckpoint` (e.g. on another thread). */
  writePreparedCheckpoint(
    runId: string,
    prepared: checkpoints.PreparedCheckpoint,
    options?: checkpoints.WriteCheckpointOptions,
  ): CheckpointInfo {
    return this.guard(() =>
      checkpoints.insertCheckpoint(this.ctx, runId, prepared, { ...options, fence: this.leases.fence('run_leases', runId) }),
    );
  }

  listCheckpoints(runId: string): CheckpointInfo[] {
    return this.guard(() => checkpoints.listCheckpoints(this.ctx, runId));
  }

  /** Loads and verifies a checkpoint; CheckpointCorruptError if its data fails verification. */
  loadCheckpoint(checkpointId: number): load.LoadedCheckpoint {
    return this.guard(() => load.loadCheckpoint(this.ctx, checkpointId));
  }

  latestCheckpoint(runId: string): load.LoadedCheckpoint | null {
    return this.guard(() => load.latestCheckpoint(this.ctx, runId));
  }

  latestValidCheckpoint(runId: string): load.ValidCheckpointResult {
    return this.guard(() => load.latestValidCheckpoint(this.ctx, runId));
  }

  /** The best checkpoint (early stopping) when it verifies, else the newest valid one: what export and evaluate use. */
  defaultCheckpoint(runId: string): load.ValidCheckpointResult {
    return this.guard(() => load.defaultCheckpoint(this.ctx, runId));
  }

  /** The run's checkpoint at `step`, verified; a not-found StoreError naming the steps there are otherwise. */
  checkpointAtStep(runId: string, step: number): load.LoadedCheckpoint {
    return this.guard(() => {
      const id = checkpoints.checkpointIdAtStep(this.ctx, runId, step);
      if (id === null) {
        const steps = checkpoints.listCheckpoints(this.ctx, runId).map((c) => c.step);
        throw new StoreError(
          'not-found',
          this.path,
          `Run ${runId} has no checkpoint at step ${step} (checkpoints at: ${steps.join(', ') || 'none'}).`,
        );
      }
      return load.loadCheckpoint(this.ctx, id);
    });
  }

  /** Rewinds metrics, device stats, newer checkpoints and the run's step to a checkpoint, atomically. */
  rewindTo(runId: string, checkpointId: number): checkpoints.RewindResult {
    return this.guard(() => this.leases.fenced('run_leases', runId, () => checkpoints.rewindTo(this.ctx, runId, checkpointId)));
  }

  /** Rewinds a run with no usable checkpoint to step 0, dropping its metric history, atomically. */
  rewindToStart(runId: string): checkpoints.RewindResult {
    return this.guard(() => this.leases.fenced('run_leases', runId, () => checkpoints.rewindToStart(this.ctx, runId)));
  }

  /**
   * Claims the right to train `runId` for `holder` (default: this process). Refused while another
   * holder's lease binds (leaseBinds); `takeOver` takes it regardless (`dtrain resume --take-over`).
   */
  acquireRunLease(
    runId: string,
    holder: leases.LeaseHolder = thisProcess(),
    options: { takeOver?: boolean } = {},
  ): leases.LeaseResult {
    return this.guard(() => this.leases.acquire('run_leases', runId, holder, options, () => runs.getRunRow(this.ctx, runId)));
  }

  /** The heartbeat of a run this process trains; false once another process took the lease over. */
  renewRunLease(runId: string, holder: leases.LeaseHolder = thisProcess()): boolean {
    return this.guard(() => this.leases.renew('run_leases', runId, holder));
  }

  /** Who holds the run's lease, and whether it still binds (a dead or expired holder left it behind). */
  runLease(runId: string): DescribedLease | null {
    return this.guard(() => this.leases.describe('run_leases', runId));
  }

  releaseRunLease(runId: string, holder: leases.LeaseHolder = thisProcess()): void {
    this.guard(() => this.leases.release('run_leases', runId, holder));
  }

  /** The same for a sweep: one process runs a sweep's trials at a time. */
  acquireSweepLease(
    sweepId: string,
    holder: leases.LeaseHolder = thisProcess(),
    options: { takeOver?: boolean } = {},
  ): leases.LeaseResult {
    return this.guard(() =>
      this.leases.acquire('sweep_leases', sweepId, holder, options, () => sweeps.getSweep(this.ctx, sweepId)),
    );
  }

  renewSweepLease(sweepId: string, holder: leases.LeaseHolder = thisProcess()): boolean {
    return this.guard(() => this.leases.renew('sweep_leases', sweepId, holder));
  }

  sweepLease(sweepId: string): DescribedLease | null {
    return this.guard(() => this.leases.describe('sweep_leases', sweepId));
  }

  releaseSweepLease(sweepId: string, holder: leases.LeaseHolder = thisProcess()): void {
    this.guard(() => this.leases.release('sweep_leases', sweepId, holder));
  }

  // Sweeps.

  createSweep(sweep: sweeps.NewSweep): string {
    return this.guard(() => sweeps.createSweep(this.ctx, sweep));
  }

  /** Newest first. */
  sweepIds(): string[] {
    return this.guard(() => sweeps.sweepIds(this.ctx));
  }

  getSweep(sweepId: string): sweeps.SweepRecord {
    return this.guard(() => sweeps.getSweep(this.ctx, sweepId));
  }

  setSweepStatus(sweepId: string, status: SweepStatus): void {
    this.guard(() => this.leases.fenced('sweep_leases', sweepId, () => sweeps.setSweepStatus(this.ctx, sweepId, status)));
  }

  setTrialRun(sweepId: string, index: number, runId: string): void {
    this.guard(() => this.leases.fenced('sweep_leases', sweepId, () => sweeps.setTrialRun(this.ctx, sweepId, index, runId)));
  }

  setTrialObjective(sweepId: string, index: number, objective: number): void {
    this.guard(() =>
      this.leases.fenced('sweep_leases', sweepId, () => sweeps.setTrialObjective(this.ctx, sweepId, index, objective)),
    );
  }

  /** Records a rung value and the decision `decide(earlierValues)` takes, atomically; returns it. */
  recordRung(sweepId: string, rung: number, index: number, value: number, decide: (earlier: number[]) => boolean): boolean {
    return this.guard(() =>
      this.leases.fenced('sweep_leases', sweepId, () => sweeps.recordRung(this.ctx, sweepId, rung, index, value, decide)),
    );
  }

  rungRecords(sweepId: string): sweeps.RungRecord[] {
    return this.guard(() => sweeps.rungRecords(this.ctx, sweepId));
  }

  private guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      throw toStoreError(error, this.path);
    }
  }
}
