/**
 * A run's history beside its metrics: Adadelta's per-variable figures every `optimizerStatsEvery`
 * steps (one row per step, the variables as JSON) and each device's step time, throughput and memory
 * sampled while it trains. Both are keyed by step, so a resume rewinds them with the metrics.
 */
import type { DeviceHistoryPoint, OptimizerStatsPoint, OptimizerVariableStats } from '../../shared/api';
import { type StoreContext, requireRun, sql, writeTransaction } from './context';

/** JSON with non-finite numbers spelled out (JSON has no NaN), as the metrics column does. */
const encode = (v: unknown): string =>
  JSON.stringify(v, (_, x) => (typeof x === 'number' && !Number.isFinite(x) ? String(x) : x));
const NON_FINITE: Record<string, number> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity };
const decode = <T>(text: string): T =>
  JSON.parse(text, (_, x) => (typeof x === 'string' && x in NON_FINITE ? NON_FINITE[x] : x)) as T;

export function appendOptimizerStats(ctx: StoreContext, runId: string, points: readonly OptimizerStatsPoint[]): void {
  const insert = sql(ctx, 'INSERT OR REPLACE INTO optimizer_stats (run_id, step, time, variables) VALUES (?, ?, ?, ?)');
  writeTransaction(ctx, () => {
    requireRun(ctx, runId);
    for (const p of points) insert.run(runId, p.step, p.time, encode(p.variables));
  });
}

export function getOptimizerStats(ctx: StoreContext, runId: string, sinceStep = -1): OptimizerStatsPoint[] {
  requireRun(ctx, runId);
  const rows = sql(ctx, 'SELECT step, time, variables FROM optimizer_stats WHERE run_id = ? AND step > ? ORDER BY step').all(
    runId,
    sinceStep,
  ) as { step: number; time: number; variables: string }[];
  return rows.map((r) => ({ step: r.step, time: r.time, variables: decode<OptimizerVariableStats[]>(r.variables) }));
}

export function appendDeviceHistory(ctx: StoreContext, runId: string, points: readonly DeviceHistoryPoint[]): void {
  const insert = sql(
    ctx,
    `INSERT OR REPLACE INTO device_history (run_id, step, device_id, time, step_time_ms, samples_per_sec, rss_bytes, peak_rss_bytes)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  writeTransaction(ctx, () => {
    requireRun(ctx, runId);
    for (const p of points)
      insert.run(runId, p.step, p.deviceId, p.time, p.stepTimeMs, p.samplesPerSec, p.rssBytes, p.peakRssBytes);
  });
}

interface DeviceRow {
  step: number;
  device_id: number;
  time: number;
  step_time_ms: number | null;
  samples_per_sec: number | null;
  rss_bytes: number;
  peak_rss_bytes: number;
}

export function getDeviceHistory(ctx: StoreContext, runId: string): DeviceHistoryPoint[] {
  requireRun(ctx, runId);
  const rows = sql(ctx, 'SELECT * FROM device_history WHERE run_id = ? ORDER BY step, device_id').all(runId) as DeviceRow[];
  return rows.map((r) => ({
    step: r.step,
    deviceId: r.device_id,
    time: r.time,
    stepTimeMs: r.step_time_ms ?? NaN,
    samplesPerSec: r.samples_per_sec ?? NaN,
    rssBytes: r.rss_bytes,
    peakRssBytes: r.peak_rss_bytes,
  }));
}

/** Drops both histories after `step` (inside the caller's rewind transaction). */
export function deleteHistoryAfter(ctx: StoreContext, runId: string, step: number): void {
  sql(ctx, 'DELETE FROM optimizer_stats WHERE run_id = ? AND step > ?').run(runId, step);
  sql(ctx, 'DELETE FROM device_history WHERE run_id = ? AND step > ?').run(runId, step);
}
