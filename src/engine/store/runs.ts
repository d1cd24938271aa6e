/** Runs: identity, status and the full RunConfig (with the optimizer's Keras getConfig() JSON). */
import { randomBytes } from 'node:crypto';
import type { RunConfig, RunMemory, RunStatus, RunSummary } from '../../shared/api';
import { type StoreContext, requireRun, sql, writeTransaction } from './context';
import { StoreError, sqliteCode } from './errors';

export const RUN_STATUSES: readonly RunStatus[] = ['created', 'running', 'paused', 'stopped', 'completed', 'failed'];

export interface NewRunOptions {
  /** Defaults to `config.name`, else `run-<id>`. */
  name?: string;
  notes?: string;
  status?: RunStatus;
  /** The run this one continues (e.g. from the Keras archive that run was exported as). */
  parentId?: string | null;
}

export interface RunPatch {
  status?: RunStatus;
  step?: number;
  /** null clears it. */
  error?: string | null;
  /** Why the run ended before its last step (early stopping, pruning); null clears it. */
  stopReason?: string | null;
  notes?: string;
  name?: string;
  tags?: string[];
  /** A resumed run's new config (another mesh, more steps); updates the mesh and steps columns too. */
  config?: RunConfig;
  /** The memory check's plan of the run's latest start. */
  memory?: RunMemory;
}

interface RunRow {
  id: string;
  name: string;
  status: RunStatus;
  created_at: number;
  updated_at: number;
  config: string;
  mesh: string;
  steps: number;
  step: number;
  notes: string;
  error: string | null;
  stop_reason: string | null;
  tags: string;
  parent_id: string | null;
  memory: string | null;
  last_loss: number | string | null;
  duration_ms: number | null;
}

/**
 * 8 URL-safe characters (48 random bits): short enough for a URL or a CLI argument. Never starting
 * with '-', which a command line would read as an option (`dtrain resume -x…`). Sweeps use it too.
 */
export function newRunId(random: (n: number) => Uint8Array = randomBytes): string {
  for (;;) {
    const id = Buffer.from(random(6)).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

export function createRun(ctx: StoreContext, config: RunConfig, options: NewRunOptions = {}): string {
  checkConfig(ctx, config);
  checkStatus(ctx, options.status ?? 'created');
  if (options.parentId) getRunRow(ctx, options.parentId); // not-found names the missing parent
  const now = Date.now();
  const insert = sql(
    ctx,
    `INSERT INTO runs (id, name, status, created_at, updated_at, config, mesh, steps, step, notes, error, parent_id)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, NULL, ?)`,
  );
  for (let attempt = 0; ; attempt++) {
    const id = newRunId(ctx.idBytes);
    try {
      const name = options.name ?? config.name ?? `run-${id}`;
      insert.run(
        id,
        name,
        options.status ?? 'created',
        now,
        now,
        JSON.stringify(config),
        config.mesh,
        config.steps,
        options.notes ?? '',
        options.parentId ?? null,
      );
      return id;
    } catch (error) {
      // A 48-bit id collision is rare; draw again rather than fail.
      if (sqliteCode(error) !== 'SQLITE_CONSTRAINT_PRIMARYKEY' || attempt >= 5) throw error;
    }
  }
}

export function updateRun(ctx: StoreContext, runId: string, patch: RunPatch): void {
  if (patch.status !== undefined) checkStatus(ctx, patch.status);
  if (patch.step !== undefined && !(Number.isInteger(patch.step) && patch.step >= 0)) {
    throw new StoreError('invalid', ctx.file, `Run step must be a non-negative integer, got ${patch.step}.`);
  }
  if (patch.config !== undefined) checkConfig(ctx, patch.config);
  writeTransaction(ctx, () => {
    requireRun(ctx, runId);
    if (patch.tags !== undefined) sql(ctx, 'UPDATE runs SET tags = ? WHERE id = ?').run(JSON.stringify(patch.tags), runId);
    if (patch.memory !== undefined) sql(ctx, 'UPDATE runs SET memory = ? WHERE id = ?').run(JSON.stringify(patch.memory), runId);
    if (patch.config !== undefined) {
      sql(ctx, 'UPDATE runs SET config = ?, mesh = ?, steps = ? WHERE id = ?').run(
        JSON.stringify(patch.config),
        patch.config.mesh,
        patch.config.steps,
        runId,
      );
    }
    sql(
      ctx,
      `UPDATE runs SET status = coalesce(?, status), step = coalesce(?, step), notes = coalesce(?, notes),
         name = coalesce(?, name), error = CASE WHEN ? THEN ? ELSE error END,
         stop_reason = CASE WHEN ? THEN ? ELSE stop_reason END, updated_at = ? WHERE id = ?`,
    ).run(
      patch.status ?? null,
      patch.step ?? null,
      patch.notes ?? null,
      patch.name ?? null,
      patch.error !== undefined ? 1 : 0,
      patch.error ?? null,
      patch.stopReason !== undefined ? 1 : 0,
      patch.stopReason ?? null,
      Date.now(),
      runId,
    );
  });
}

const SUMMARY_SELECT = `
  SELECT r.*,
    -- ifnull(loss, 'nan'): SQLite stores NaN as NULL; a row with a NaN loss must not read as "no loss yet".
    (SELECT ifnull(m.loss, 'nan') FROM metrics m WHERE m.run_id = r.id ORDER BY m.step DESC LIMIT 1) AS last_loss,
    (SELECT max(m.time) - min(m.time) FROM metrics m WHERE m.run_id = r.id) AS duration_ms
  FROM runs r`;

export function listRuns(ctx: StoreContext): RunSummary[] {
  const rows = sql(ctx, `${SUMMARY_SELECT} ORDER BY r.created_at DESC, r.id`).all() as RunRow[];
  return rows.map(toSummary);
}

export function getRunRow(ctx: StoreContext, runId: string): RunRow {
  const row = sql(ctx, `${SUMMARY_SELECT} WHERE r.id = ?`).get(runId) as RunRow | undefined;
  if (!row) throw new StoreError('not-found', ctx.file, `No run ${JSON.stringify(runId)} in ${ctx.file}.`);
  return row;
}

export function parseConfig(ctx: StoreContext, row: RunRow): RunConfig {
  try {
    return JSON.parse(row.config) as RunConfig;
  } catch (error) {
    throw new StoreError('corrupt', ctx.file, `Run ${row.id} in ${ctx.file} has an unreadable config.`, { cause: error });
  }
}

/**
 * Deletes the run and, by cascade, its metrics, device stats, checkpoints and lease, in one
 * transaction. `isTraining` sees the run's lease holder (if any) inside that transaction, so a
 * process that starts training it meanwhile cannot lose its run underneath it. False if there was none.
 */
export function deleteRun(
  ctx: StoreContext,
  runId: string,
  isTraining: (holder: { pid: number; host: string }) => boolean = () => false,
): boolean {
  return writeTransaction(ctx, () => {
    const lease = sql(ctx, 'SELECT pid, host FROM run_leases WHERE run_id = ?').get(runId) as
      { pid: number; host: string } | undefined;
    if (lease && isTraining(lease)) {
      throw new StoreError(
        'invalid',
        ctx.file,
        `Run ${runId} is being trained (pid ${lease.pid} on ${lease.host}); stop it before deleting it.`,
      );
    }
    return sql(ctx, 'DELETE FROM runs WHERE id = ?').run(runId).changes > 0;
  });
}

export function toSummary(row: RunRow): RunSummary {
  return {
    id: row.id,
    name: row.name,
    status: row.status,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    step: row.step,
    steps: row.steps,
    lastLoss: row.last_loss === null ? null : row.last_loss === 'nan' ? NaN : Number(row.last_loss),
    mesh: row.mesh,
    tags: parseTags(row.tags),
    durationMs: row.duration_ms === null ? null : Number(row.duration_ms),
    stopReason: row.stop_reason,
  };
}

function parseTags(text: string | undefined): string[] {
  try {
    const tags = JSON.parse(text ?? '[]') as unknown;
    return Array.isArray(tags) ? tags.filter((t): t is string => typeof t === 'string') : [];
  } catch {
    return []; // tags are labels only: an unreadable list must not hide the run
  }
}

function checkConfig(ctx: StoreContext, config: RunConfig): void {
  if (typeof config !== 'object' || config === null) throw new StoreError('invalid', ctx.file, 'A run needs a RunConfig object.');
  if (typeof config.mesh !== 'string' || config.mesh === '') {
    throw new StoreError(
      'invalid',
      ctx.file,
      `RunConfig.mesh must be mesh text such as "batch=2", got ${JSON.stringify(config.mesh)}.`,
    );
  }
  if (!Number.isInteger(config.steps) || config.steps < 0) {
    throw new StoreError(
      'invalid',
      ctx.file,
      `RunConfig.steps must be a non-negative integer, got ${JSON.stringify(config.steps)}.`,
    );
  }
}

function checkStatus(ctx: StoreContext, status: RunStatus): void {
  if (!RUN_STATUSES.includes(status)) {
    throw new StoreError(
      'invalid',
      ctx.file,
      `Unknown run status ${JSON.stringify(status)}; expected one of ${RUN_STATUSES.join(', ')}.`,
    );
  }
}
