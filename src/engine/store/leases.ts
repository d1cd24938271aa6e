/**
 * Run leases: at most one process trains a run at a time. Two app windows or CLIs on one database
 * would otherwise both resume a run and interleave its checkpoints and metric history. A lease names
 * its holder (pid, host); one whose process is gone (a killed coordinator) is taken over.
 */
import { type StoreContext, requireRun, sql, writeTransaction } from './context';

export interface LeaseHolder {
  pid: number;
  host: string;
}

export interface RunLease extends LeaseHolder {
  runId: string;
  acquiredAt: number;
}

export type LeaseResult = { ok: true } | { ok: false; holder: RunLease };

/** Takes the run's lease in one write transaction unless a live other holder has it. */
export function acquireLease(
  ctx: StoreContext,
  runId: string,
  me: LeaseHolder,
  isAlive: (holder: LeaseHolder) => boolean,
): LeaseResult {
  return writeTransaction(ctx, () => {
    requireRun(ctx, runId);
    const row = sql(ctx, 'SELECT pid, host, acquired_at FROM run_leases WHERE run_id = ?').get(runId) as
      { pid: number; host: string; acquired_at: number } | undefined;
    const mine = row && row.pid === me.pid && row.host === me.host;
    if (row && !mine && isAlive(row))
      return { ok: false, holder: { runId, pid: row.pid, host: row.host, acquiredAt: row.acquired_at } };
    sql(ctx, 'INSERT OR REPLACE INTO run_leases (run_id, pid, host, acquired_at) VALUES (?, ?, ?, ?)').run(
      runId,
      me.pid,
      me.host,
      Date.now(),
    );
    return { ok: true };
  });
}

/** Gives the lease back (only if this holder has it). */
export function releaseLease(ctx: StoreContext, runId: string, me: LeaseHolder): void {
  writeTransaction(ctx, () =>
    sql(ctx, 'DELETE FROM run_leases WHERE run_id = ? AND pid = ? AND host = ?').run(runId, me.pid, me.host),
  );
}

/** The run's current lease, if any (held or left behind by a process that died). */
export function getLease(ctx: StoreContext, runId: string): RunLease | null {
  const row = sql(ctx, 'SELECT pid, host, acquired_at FROM run_leases WHERE run_id = ?').get(runId) as
    { pid: number; host: string; acquired_at: number } | undefined;
  return row ? { runId, pid: row.pid, host: row.host, acquiredAt: row.acquired_at } : null;
}
