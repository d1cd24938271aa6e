/**
 * Leases: at most one process trains a run, or runs a sweep, at a time. Two app windows or CLIs on one
 * database would otherwise both resume a run and interleave its checkpoints and metric history, or
 * both run a sweep's trials. A lease names its holder (pid, host, the process's start time) and is
 * renewed by a heartbeat; `expires_at` is the last heartbeat plus the holder's lease time. Whether a
 * lease still binds is decided by the caller (RunStore) from these facts: see docs/leases.md.
 */
import { type StoreContext, sql, writeTransaction } from './context';
import { StoreError } from './errors';

export interface LeaseHolder {
  pid: number;
  host: string;
  /** When the process started, on its host (Linux: /proc starttime); tells a reused pid. Null where unknown. */
  processStart?: string | null;
}

export interface Lease extends LeaseHolder {
  /** The run's or the sweep's id. */
  id: string;
  acquiredAt: number;
  /** The last heartbeat (null: a lease written by a dtrain without heartbeats). */
  heartbeatAt: number | null;
  /** The last heartbeat plus the holder's lease time: after it, a holder on another host is presumed gone. */
  expiresAt: number | null;
}

/** A lease as the run API has always named it (`runId`); a sweep's carries the sweep id there too. */
export type RunLease = Lease & { runId: string };

export type LeaseResult = { ok: true } | { ok: false; holder: RunLease };

export type LeaseTable = 'run_leases' | 'sweep_leases';
const KEY: Record<LeaseTable, string> = { run_leases: 'run_id', sweep_leases: 'sweep_id' };

interface LeaseRow {
  pid: number;
  host: string;
  acquired_at: number;
  heartbeat_at: number | null;
  expires_at: number | null;
  process_start: string | null;
}

function toLease(id: string, row: LeaseRow): RunLease {
  return {
    id,
    runId: id,
    pid: row.pid,
    host: row.host,
    processStart: row.process_start,
    acquiredAt: row.acquired_at,
    heartbeatAt: row.heartbeat_at,
    expiresAt: row.expires_at,
  };
}

const isHolder = (l: LeaseHolder, me: LeaseHolder) => l.pid === me.pid && l.host === me.host;

/**
 * Takes the lease in one write transaction unless another holder's lease still binds (`binds`);
 * `takeOver` takes it whatever the other holder's state. `exists` checks the run or sweep first.
 */
export function acquireLease(
  ctx: StoreContext,
  table: LeaseTable,
  id: string,
  me: LeaseHolder,
  leaseMs: number,
  binds: (lease: Lease) => boolean,
  options: { takeOver?: boolean; exists?: () => void } = {},
): LeaseResult {
  return writeTransaction(ctx, () => {
    options.exists?.();
    const current = getLease(ctx, table, id);
    if (current && !isHolder(current, me) && !options.takeOver && binds(current)) return { ok: false, holder: current };
    const now = Date.now();
    sql(
      ctx,
      `INSERT OR REPLACE INTO ${table} (${KEY[table]}, pid, host, acquired_at, heartbeat_at, expires_at, process_start)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ).run(id, me.pid, me.host, now, now, now + leaseMs, me.processStart ?? null);
    return { ok: true };
  });
}

/** The heartbeat: pushes the expiry on. False when the lease is no longer this holder's (taken over). */
export function renewLease(ctx: StoreContext, table: LeaseTable, id: string, me: LeaseHolder, leaseMs: number): boolean {
  const now = Date.now();
  return writeTransaction(
    ctx,
    () =>
      sql(ctx, `UPDATE ${table} SET heartbeat_at = ?, expires_at = ? WHERE ${KEY[table]} = ? AND pid = ? AND host = ?`).run(
        now,
        now + leaseMs,
        id,
        me.pid,
        me.host,
      ).changes > 0,
  );
}

/** Gives the lease back (only if this holder has it). */
export function releaseLease(ctx: StoreContext, table: LeaseTable, id: string, me: LeaseHolder): void {
  writeTransaction(ctx, () =>
    sql(ctx, `DELETE FROM ${table} WHERE ${KEY[table]} = ? AND pid = ? AND host = ?`).run(id, me.pid, me.host),
  );
}

/** The current lease, if any (held, or left behind by a process that died). */
export function getLease(ctx: StoreContext, table: LeaseTable, id: string): RunLease | null {
  const row = sql(
    ctx,
    `SELECT pid, host, acquired_at, heartbeat_at, expires_at, process_start FROM ${table} WHERE ${KEY[table]} = ?`,
  ).get(id) as LeaseRow | undefined;
  return row ? toLease(id, row) : null;
}

/**
 * Inside a write transaction: refuses the write unless `me` still holds the lease. A process whose
 * run was taken over (`resume --take-over`) can then no longer write its checkpoints, metrics or status.
 */
export function requireLease(ctx: StoreContext, table: LeaseTable, id: string, me: LeaseHolder): void {
  const current = getLease(ctx, table, id);
  if (current && isHolder(current, me)) return;
  const by = current ? ` by pid ${current.pid} on ${current.host}` : '';
  throw new StoreError('lease-lost', ctx.file, `the lease on ${id} was taken over${by}; this process no longer writes it`);
}
