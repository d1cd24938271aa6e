/**
 * Metric history and device stats. The primary key (run, step) makes a re-recorded step (after a
 * resume) replace the old row instead of duplicating it. SQLite stores NaN as NULL, so NULL reads
 * back as NaN (a diverged loss stays visible), and the free-form metrics JSON spells out non-finite values.
 */
import type { DeviceStats, MetricPoint } from '../../shared/api';
import { type StoreContext, requireRun, sql, writeTransaction } from './context';
import { StoreError } from './errors';

interface MetricRow {
  step: number;
  loss: number | null;
  learning_rate: number | null;
  grad_norm: number | null;
  step_time_ms: number | null;
  samples_per_sec: number | null;
  time: number | null;
  metrics: string;
}

/** Appends (or replaces, by step) a batch of points in one transaction. */
export function appendMetrics(ctx: StoreContext, runId: string, points: readonly MetricPoint[]): void {
  for (const p of points) {
    if (!Number.isInteger(p?.step) || p.step < 0) {
      throw new StoreError(
        'invalid',
        ctx.file,
        `A metric point needs a non-negative integer step, got ${JSON.stringify(p?.step)}.`,
      );
    }
  }
  const insert = sql(
    ctx,
    `INSERT OR REPLACE INTO metrics (run_id, step, loss, learning_rate, grad_norm, step_time_ms, samples_per_sec, time, metrics)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  writeTransaction(ctx, () => {
    requireRun(ctx, runId);
    for (const p of points) {
      const row = [p.loss, p.learningRate, p.gradNorm, p.stepTimeMs, p.samplesPerSec, p.time].map((v) => v ?? null);
      insert.run(runId, p.step, ...row, encodeMetrics(p.metrics ?? {}));
    }
  });
}

/**
 * Merges extra metrics (an evaluation's `val_*` figures) into the point already recorded at `step`, and
 * returns the merged point (null if no training point exists there).
 */
export function mergeMetrics(ctx: StoreContext, runId: string, step: number, extra: Record<string, number>): MetricPoint | null {
  return writeTransaction(ctx, () => {
    requireRun(ctx, runId);
    const row = sql(ctx, 'SELECT * FROM metrics WHERE run_id = ? AND step = ?').get(runId, step) as MetricRow | undefined;
    if (!row) return null;
    const merged = { ...decodeMetrics(row.metrics), ...extra };
    sql(ctx, 'UPDATE metrics SET metrics = ? WHERE run_id = ? AND step = ?').run(encodeMetrics(merged), runId, step);
    return toPoint({ ...row, metrics: encodeMetrics(merged) });
  });
}

/** The run's points in step order; with `sinceStep`, only steps after it (for live polling). */
export function getMetrics(ctx: StoreContext, runId: string, sinceStep?: number): MetricPoint[] {
  requireRun(ctx, runId);
  const rows = sql(ctx, 'SELECT * FROM metrics WHERE run_id = ? AND step > ? ORDER BY step').all(
    runId,
    sinceStep ?? -1,
  ) as MetricRow[];
  return rows.map(toPoint);
}

function toPoint(row: MetricRow): MetricPoint {
  return {
    step: row.step,
    loss: num(row.loss),
    metrics: decodeMetrics(row.metrics),
    learningRate: num(row.learning_rate),
    gradNorm: num(row.grad_norm),
    stepTimeMs: num(row.step_time_ms),
    samplesPerSec: num(row.samples_per_sec),
    time: num(row.time),
  };
}

function num(value: number | null): number {
  return value === null ? NaN : value;
}

const NON_FINITE: Record<string, number> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity };

export function encodeMetrics(metrics: Record<string, number>): string {
  return JSON.stringify(metrics, (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));
}

export function decodeMetrics(text: string): Record<string, number> {
  const parsed = JSON.parse(text) as Record<string, number | string | null>;
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(parsed))
    out[k] = typeof v === 'string' ? (NON_FINITE[v] ?? Number(v)) : v === null ? NaN : v;
  return out;
}

/** Records every device's stats for one step (replacing a re-recorded step). */
export function appendDeviceStats(ctx: StoreContext, runId: string, step: number, stats: readonly DeviceStats[]): void {
  const insert = sql(
    ctx,
    `INSERT OR REPLACE INTO device_stats (run_id, step, device_id, pid, backend, shard_bytes, rss_bytes, step_time_ms, peak_rss_bytes)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  writeTransaction(ctx, () => {
    requireRun(ctx, runId);
    for (const s of stats)
      insert.run(
        runId,
        step,
        s.deviceId,
        s.pid,
        s.backend,
        s.shardBytes,
        s.rssBytes,
        s.stepTimeMs ?? null,
        s.peakRssBytes ?? null,
      );
  });
}

/** The stats of the latest step any device reported, in device order. */
export function latestDeviceStats(ctx: StoreContext, runId: string): DeviceStats[] {
  const rows = sql(
    ctx,
    `SELECT * FROM device_stats WHERE run_id = @runId
       AND step = (SELECT max(step) FROM device_stats WHERE run_id = @runId) ORDER BY device_id`,
  ).all({ runId }) as Record<string, number | string | null>[];
  return rows.map((r) => ({
    deviceId: r.device_id as number,
    pid: r.pid as number,
    backend: r.backend as string,
    shardBytes: r.shard_bytes as number,
    rssBytes: r.rss_bytes as number,
    stepTimeMs: num(r.step_time_ms as number | null),
    ...(r.peak_rss_bytes !== null && r.peak_rss_bytes !== undefined ? { peakRssBytes: r.peak_rss_bytes as number } : {}),
  }));
}

const FIXED_COLUMNS = ['step', 'time', 'loss', 'learning_rate', 'grad_norm', 'step_time_ms', 'samples_per_sec'] as const;

/** Header plus one row per step; the metric columns are the union of every point's metric names, sorted. */
export function metricsCsv(ctx: StoreContext, runId: string): string {
  const points = getMetrics(ctx, runId);
  const names = [...new Set(points.flatMap((p) => Object.keys(p.metrics)))].sort();
  const lines = [[...FIXED_COLUMNS, ...names].map(csvField).join(',')];
  for (const p of points) {
    const fixed = [p.step, p.time, p.loss, p.learningRate, p.gradNorm, p.stepTimeMs, p.samplesPerSec];
    const extra = names.map((n) => (n in p.metrics ? String(p.metrics[n]) : ''));
    lines.push([...fixed.map(String), ...extra].join(','));
  }
  return lines.join('\n') + '\n';
}

function csvField(text: string): string {
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
