/**
 * Sweeps: a base config, a search space and its trials (ordinary runs, linked by id), plus every value
 * a trial recorded at a successive-halving rung, in arrival order, with the decision taken.
 */
import type { RunConfig, RunStatus, SweepStatus } from '../../shared/api';
import { type StoreContext, sql, writeTransaction } from './context';
import { StoreError } from './errors';
import { newRunId } from './runs';

export interface SweepOptions {
  trials: number;
  devicesPerTrial: number;
  seed: number;
  eta: number;
  minEvals: number;
}

export interface NewSweep {
  name: string;
  method: 'grid' | 'random';
  monitor: string;
  mode: 'min' | 'max';
  space: Record<string, unknown>;
  baseConfig: RunConfig;
  options: SweepOptions;
  trials: Record<string, unknown>[];
}

export interface SweepRecord extends Omit<NewSweep, 'trials'> {
  id: string;
  status: SweepStatus;
  createdAt: number;
  updatedAt: number;
  trials: TrialRecord[];
}

export interface TrialRecord {
  index: number;
  settings: Record<string, unknown>;
  runId: string | null;
  /** The linked run's status and step (null without a run). */
  runStatus: RunStatus | null;
  runStep: number | null;
  runSteps: number | null;
  pruned: boolean;
  rung: number;
  objective: number | null;
}

export interface RungRecord {
  rung: number;
  trialIndex: number;
  value: number;
  seq: number;
  kept: boolean;
}

export function createSweep(ctx: StoreContext, sweep: NewSweep): string {
  const id = newRunId(ctx.idBytes); // `dtrain sweep show -x…` would read a leading '-' as an option
  const now = Date.now();
  writeTransaction(ctx, () => {
    sql(
      ctx,
      `INSERT INTO sweeps (id, name, status, created_at, updated_at, method, monitor, mode, space, base_config, options)
      VALUES (?, ?, 'running', ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      id,
      sweep.name,
      now,
      now,
      sweep.method,
      sweep.monitor,
      sweep.mode,
      JSON.stringify(sweep.space),
      JSON.stringify(sweep.baseConfig),
      JSON.stringify(sweep.options),
    );
    const insert = sql(ctx, 'INSERT INTO sweep_trials (sweep_id, trial_index, settings) VALUES (?, ?, ?)');
    sweep.trials.forEach((settings, i) => insert.run(id, i, JSON.stringify(settings)));
  });
  return id;
}

interface SweepRow {
  id: string;
  name: string;
  status: SweepStatus;
  created_at: number;
  updated_at: number;
  method: 'grid' | 'random';
  monitor: string;
  mode: 'min' | 'max';
  space: string;
  base_config: string;
  options: string;
}

export function sweepIds(ctx: StoreContext): string[] {
  return (sql(ctx, 'SELECT id FROM sweeps ORDER BY created_at DESC, id').all() as { id: string }[]).map((r) => r.id);
}

export function getSweep(ctx: StoreContext, sweepId: string): SweepRecord {
  const row = sql(ctx, 'SELECT * FROM sweeps WHERE id = ?').get(sweepId) as SweepRow | undefined;
  if (!row) throw new StoreError('not-found', ctx.file, `No sweep ${JSON.stringify(sweepId)} in ${ctx.file}.`);
  const trials = sql(
    ctx,
    `SELECT t.*, r.status AS run_status, r.step AS run_step, r.steps AS run_steps
    FROM sweep_trials t LEFT JOIN runs r ON r.id = t.run_id WHERE t.sweep_id = ? ORDER BY t.trial_index`,
  ).all(sweepId) as Record<string, unknown>[];
  return {
    id: row.id,
    name: row.name,
    status: row.status,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    method: row.method,
    monitor: row.monitor,
    mode: row.mode,
    space: JSON.parse(row.space) as Record<string, unknown>,
    baseConfig: JSON.parse(row.base_config) as RunConfig,
    options: JSON.parse(row.options) as SweepOptions,
    trials: trials.map((t) => ({
      index: t.trial_index as number,
      settings: JSON.parse(t.settings as string) as Record<string, unknown>,
      runId: (t.run_id as string | null) ?? null,
      runStatus: (t.run_status as RunStatus | null) ?? null,
      runStep: (t.run_step as number | null) ?? null,
      runSteps: (t.run_steps as number | null) ?? null,
      pruned: t.pruned === 1,
      rung: t.rung as number,
      objective: (t.objective as number | null) ?? null,
    })),
  };
}

export function setSweepStatus(ctx: StoreContext, sweepId: string, status: SweepStatus): void {
  sql(ctx, 'UPDATE sweeps SET status = ?, updated_at = ? WHERE id = ?').run(status, Date.now(), sweepId);
}

export function setTrialRun(ctx: StoreContext, sweepId: string, index: number, runId: string): void {
  sql(ctx, 'UPDATE sweep_trials SET run_id = ? WHERE sweep_id = ? AND trial_index = ?').run(runId, sweepId, index);
}

export function setTrialObjective(ctx: StoreContext, sweepId: string, index: number, objective: number): void {
  sql(ctx, 'UPDATE sweep_trials SET objective = ? WHERE sweep_id = ? AND trial_index = ?').run(
    Number.isNaN(objective) ? null : objective,
    sweepId,
    index,
  );
}

/**
 * Records a trial's value at a rung and the decision, in one transaction with the values before it
 * (`decide` sees the earlier values in arrival order), so two processes never decide on a stale view.
 */
export function recordRung(
  ctx: StoreContext,
  sweepId: string,
  rung: number,
  index: number,
  value: number,
  decide: (earlier: number[]) => boolean,
): boolean {
  return writeTransaction(ctx, () => {
    const existing = sql(ctx, 'SELECT kept FROM sweep_rungs WHERE sweep_id = ? AND rung = ? AND trial_index = ?').get(
      sweepId,
      rung,
      index,
    ) as { kept: number } | undefined;
    if (existing) return existing.kept === 1; // re-reached after a resume: the decision stands
    const earlier = (
      sql(ctx, 'SELECT value FROM sweep_rungs WHERE sweep_id = ? AND rung = ? ORDER BY seq').all(sweepId, rung) as {
        value: number | null;
      }[]
    ).map((r) => r.value ?? NaN);
    const kept = decide(earlier);
    const seq = (sql(ctx, 'SELECT count(*) AS n FROM sweep_rungs WHERE sweep_id = ?').get(sweepId) as { n: number }).n;
    sql(ctx, 'INSERT INTO sweep_rungs (sweep_id, rung, trial_index, value, seq, kept) VALUES (?, ?, ?, ?, ?, ?)').run(
      sweepId,
      rung,
      index,
      Number.isNaN(value) ? null : value,
      seq,
      kept ? 1 : 0,
    );
    sql(ctx, 'UPDATE sweep_trials SET rung = max(rung, ?), pruned = ? WHERE sweep_id = ? AND trial_index = ?').run(
      rung,
      kept ? 0 : 1,
      sweepId,
      index,
    );
    return kept;
  });
}

export function rungRecords(ctx: StoreContext, sweepId: string): RungRecord[] {
  const rows = sql(ctx, 'SELECT rung, trial_index, value, seq, kept FROM sweep_rungs WHERE sweep_id = ? ORDER BY seq').all(
    sweepId,
  ) as Record<string, number | null>[];
  return rows.map((r) => ({ rung: r.rung!, trialIndex: r.trial_index!, value: r.value ?? NaN, seq: r.seq!, kept: r.kept === 1 }));
}
