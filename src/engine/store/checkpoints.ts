/**
 * Sharded checkpoints: one row per distinct shard (by logical path and layout, not by worker rank),
 * written in ONE durable transaction with keep-last-K retention, and verified against a content hash
 * on load. Encoding and hashing happen before the write lock is taken.
 */
import type { CheckpointInfo } from '../../shared/api';
import {
  type CheckpointData,
  type ManifestTensor,
  bytesPerElement,
  checkComplete,
  hash64,
  manifestHash,
  shardBytes,
  slicesKey,
  splitParts,
} from '../../core/checkpoint/index';
import { type StoreContext, requireRun, sql, writeTransaction } from './context';
import { StoreError } from './errors';
import { deleteHistoryAfter } from './run-history';

export interface WriteCheckpointOptions {
  /** Keep this run's newest K checkpoints (this one included); default 3. */
  keep?: number;
  /**
   * Copy the WAL into the main file right after the commit (default true). The commit is durable
   * without it; with false the caller must call RunStore.checkpointWal() later (e.g. when idle), or
   * the next write on this connection pays for the copy.
   */
  copyWal?: boolean;
  /** Mark this checkpoint as the run's best (unmarking the previous best); a best one survives retention. */
  best?: boolean;
  /** Runs first inside the write transaction and may refuse it (the writer's lease was taken over). */
  fence?: () => void;
}

/** A checkpoint ready to insert: validated, encoded and hashed. */
export interface PreparedCheckpoint {
  step: number;
  iterations: number;
  stateJson: string;
  mesh: string;
  bytes: number;
  hash: string;
  tensors: { manifest: ManifestTensor; parts: Uint8Array[][] }[];
}

/** Validates (shape, layout, full coverage), encodes and hashes a checkpoint. Pure CPU, no database. */
export function prepareCheckpoint(file: string, data: CheckpointData, maxPartBytes: number): PreparedCheckpoint {
  checkHeader(file, data);
  const stateJson = JSON.stringify(data.state ?? {});
  const paths = new Set<string>();
  let bytes = 0;
  const tensors = data.tensors.map((tensor) => {
    try {
      checkComplete(tensor);
    } catch (error) {
      throw new StoreError('invalid', file, `Cannot save checkpoint: ${(error as Error).message}`, { cause: error });
    }
    if (paths.has(tensor.path)) throw new StoreError('invalid', file, `Checkpoint tensor path "${tensor.path}" appears twice.`);
    paths.add(tensor.path);
    // An empty shard holds no data, and several devices can have the same empty region (an axis split
    // over more devices than it has rows): storing them would only collide on the shard key.
    const stored = tensor.shards.filter((s) => s.data.length > 0);
    const parts = stored.map((s) => splitParts(shardBytes(tensor.dtype, s.data), maxPartBytes, bytesPerElement(tensor.dtype)));
    const shards = stored.map((s, i) => {
      const size = parts[i].reduce((n, p) => n + p.byteLength, 0);
      bytes += size;
      return { slices: slicesKey(s.slices), bytes: size, partHashes: parts[i].map((p) => hash64(p)) };
    });
    const manifest = {
      path: tensor.path,
      dtype: tensor.dtype,
      globalShape: [...tensor.globalShape],
      layout: tensor.layout,
      shards,
    };
    return { manifest, parts };
  });
  const header = { step: data.step, iterations: data.iterations, stateJson, mesh: data.mesh };
  const hash = manifestHash(
    header,
    tensors.map((t) => t.manifest),
  );
  return { ...header, bytes, hash, tensors };
}

function checkHeader(file: string, data: CheckpointData): void {
  const bad = (what: string) => new StoreError('invalid', file, `Cannot save checkpoint: ${what}.`);
  if (!Number.isInteger(data?.step) || data.step < 0) throw bad(`step must be a non-negative integer, got ${data?.step}`);
  if (!Number.isInteger(data.iterations) || data.iterations < 0)
    throw bad(`iterations must be a non-negative integer, got ${data.iterations}`);
  if (typeof data.mesh !== 'string' || data.mesh === '') throw bad('mesh must be mesh text such as "batch=2"');
  if (!Array.isArray(data.tensors)) throw bad('tensors must be an array');
}

/**
 * Inserts a prepared checkpoint and applies retention, in one transaction committed with
 * synchronous=FULL (the WAL is fsynced before this returns: a checkpoint survives power loss).
 */
export function insertCheckpoint(
  ctx: StoreContext,
  runId: string,
  prepared: PreparedCheckpoint,
  options: WriteCheckpointOptions = {},
): CheckpointInfo {
  const keep = options.keep ?? 3;
  if (!Number.isInteger(keep) || keep < 1)
    throw new StoreError('invalid', ctx.file, `keep must be a positive integer, got ${keep}.`);
  // FULL: the WAL is fsynced at commit. Autocheckpoint off for this commit, so the copy into the main
  // file (another full write of the data) is a separate, optional step below.
  const autocheckpoint = ctx.db.pragma('wal_autocheckpoint', { simple: true }) as number;
  ctx.db.pragma('synchronous = FULL');
  ctx.db.pragma('wal_autocheckpoint = 0');
  let info: CheckpointInfo;
  try {
    info = writeTransaction(ctx, () => {
      options.fence?.();
      requireRun(ctx, runId);
      const createdAt = Date.now();
      const { lastInsertRowid } = sql(
        ctx,
        'INSERT INTO checkpoints (run_id, step, iterations, state, mesh, created_at, bytes, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ).run(
        runId,
        prepared.step,
        prepared.iterations,
        prepared.stateJson,
        prepared.mesh,
        createdAt,
        prepared.bytes,
        prepared.hash,
      );
      const id = Number(lastInsertRowid);
      for (const tensor of prepared.tensors) insertTensor(ctx, id, tensor);
      if (options.best) markBest(ctx, runId, id);
      applyRetention(ctx, runId, keep);
      return { id, step: prepared.step, createdAt, bytes: prepared.bytes, ...(options.best ? { best: true } : {}) };
    });
  } finally {
    ctx.db.pragma('synchronous = NORMAL');
    ctx.db.pragma(`wal_autocheckpoint = ${autocheckpoint}`);
  }
  if (options.copyWal ?? true) checkpointWal(ctx);
  return info;
}

/** Copies committed WAL frames into the main file without waiting for readers (PASSIVE). */
export function checkpointWal(ctx: StoreContext): { walFrames: number; copied: number } {
  const [r] = ctx.db.pragma('wal_checkpoint(PASSIVE)') as { busy: number; log: number; checkpointed: number }[];
  return { walFrames: r?.log ?? 0, copied: r?.checkpointed ?? 0 };
}

function insertTensor(ctx: StoreContext, checkpointId: number, { manifest, parts }: PreparedCheckpoint['tensors'][number]): void {
  sql(
    ctx,
    'INSERT INTO checkpoint_tensors (checkpoint_id, path, dtype, global_shape, specs, mesh) VALUES (?, ?, ?, ?, ?, ?)',
  ).run(
    checkpointId,
    manifest.path,
    manifest.dtype,
    JSON.stringify(manifest.globalShape),
    JSON.stringify(manifest.layout.specs),
    manifest.layout.mesh,
  );
  const insertPart = sql(
    ctx,
    'INSERT INTO checkpoint_shards (checkpoint_id, path, slices, part, hash, data) VALUES (?, ?, ?, ?, ?, ?)',
  );
  manifest.shards.forEach((shard, i) => {
    parts[i].forEach((bytes, part) =>
      insertPart.run(checkpointId, manifest.path, shard.slices, part, shard.partHashes[part], bytes),
    );
  });
}

/**
 * Deletes this run's checkpoints beyond the newest `keep`, except its best one: only rows of this run,
 * in the table only the store writes.
 */
function applyRetention(ctx: StoreContext, runId: string, keep: number): void {
  sql(
    ctx,
    `DELETE FROM checkpoints WHERE run_id = @runId AND best = 0
       AND id NOT IN (SELECT id FROM checkpoints WHERE run_id = @runId AND best = 0 ORDER BY id DESC LIMIT @keep)`,
  ).run({ runId, keep });
}

/** One best checkpoint per run: this one. */
export function markBest(ctx: StoreContext, runId: string, checkpointId: number): void {
  sql(ctx, 'UPDATE checkpoints SET best = (id = @checkpointId) WHERE run_id = @runId').run({ runId, checkpointId });
}

/** The id of the run's checkpoint marked best, if any. */
export function bestCheckpointId(ctx: StoreContext, runId: string): number | null {
  const row = sql(ctx, 'SELECT id FROM checkpoints WHERE run_id = ? AND best = 1 ORDER BY id DESC LIMIT 1').get(runId) as
    { id: number } | undefined;
  return row?.id ?? null;
}

/** The id of the run's newest checkpoint at `step`, if any. */
export function checkpointIdAtStep(ctx: StoreContext, runId: string, step: number): number | null {
  const row = sql(ctx, 'SELECT id FROM checkpoints WHERE run_id = ? AND step = ? ORDER BY id DESC LIMIT 1').get(runId, step) as
    { id: number } | undefined;
  return row?.id ?? null;
}

export function listCheckpoints(ctx: StoreContext, runId: string): CheckpointInfo[] {
  const rows = sql(ctx, 'SELECT id, step, created_at, bytes, best, state FROM checkpoints WHERE run_id = ? ORDER BY id').all(
    runId,
  ) as {
    id: number;
    step: number;
    created_at: number;
    bytes: number;
    best: number;
    state: string;
  }[];
  return rows.map((r) => {
    const restored = restoredBestFrom(r.state);
    return {
      id: r.id,
      step: r.step,
      createdAt: r.created_at,
      bytes: r.bytes,
      ...(r.best ? { best: true } : {}),
      ...(restored === null ? {} : { restoredBestFrom: restored }),
    };
  });
}

/** A restoreBest run's final checkpoint holds the best evaluation's state: the step it came from. */
export function restoredBestFrom(stateJson: string): number | null {
  try {
    const v = (JSON.parse(stateJson) as { restoredBestFrom?: unknown }).restoredBestFrom;
    return typeof v === 'number' ? v : null;
  } catch {
    return null; // a state the checkpoint's own verification reports; nothing to label here
  }
}

/** Checkpoint ids of a run, newest first. */
export function checkpointIdsNewestFirst(ctx: StoreContext, runId: string): number[] {
  return (sql(ctx, 'SELECT id FROM checkpoints WHERE run_id = ? ORDER BY id DESC').all(runId) as { id: number }[]).map(
    (r) => r.id,
  );
}

/**
 * Rewinds a run that has no checkpoint to its start, in one transaction: its metric and device-stat
 * rows go and its step becomes 0, so a resumed run replays from scratch without stale rows beyond.
 */
export function rewindToStart(ctx: StoreContext, runId: string): RewindResult {
  return writeTransaction(ctx, () => {
    requireRun(ctx, runId);
    const metricsDeleted = sql(ctx, 'DELETE FROM metrics WHERE run_id = ?').run(runId).changes;
    sql(ctx, 'DELETE FROM device_stats WHERE run_id = ?').run(runId);
    deleteHistoryAfter(ctx, runId, -1);
    const checkpointsDeleted = sql(ctx, 'DELETE FROM checkpoints WHERE run_id = ?').run(runId).changes;
    sql(ctx, 'UPDATE runs SET step = 0, updated_at = ? WHERE id = ?').run(Date.now(), runId);
    return { step: 0, metricsDeleted, checkpointsDeleted };
  });
}

export interface RewindResult {
  step: number;
  metricsDeleted: number;
  checkpointsDeleted: number;
}

/**
 * Rewinds a run to a checkpoint in one transaction: metric and device-stat rows after its step go, the
 * run's step becomes the checkpoint's, and this run's newer checkpoints go (they belong to the abandoned
 * timeline; keeping them would let a later resume jump back onto it). Curves never double back.
 */
export function rewindTo(ctx: StoreContext, runId: string, checkpointId: number): RewindResult {
  return writeTransaction(ctx, () => {
    const cp = sql(ctx, 'SELECT run_id, step FROM checkpoints WHERE id = ?').get(checkpointId) as
      { run_id: string; step: number } | undefined;
    if (!cp || cp.run_id !== runId) {
      throw new StoreError('not-found', ctx.file, `Run ${runId} has no checkpoint ${checkpointId} in ${ctx.file}.`);
    }
    const metricsDeleted = sql(ctx, 'DELETE FROM metrics WHERE run_id = ? AND step > ?').run(runId, cp.step).changes;
    sql(ctx, 'DELETE FROM device_stats WHERE run_id = ? AND step > ?').run(runId, cp.step);
    deleteHistoryAfter(ctx, runId, cp.step);
    const checkpointsDeleted = sql(ctx, 'DELETE FROM checkpoints WHERE run_id = ? AND id > ?').run(runId, checkpointId).changes;
    sql(ctx, 'UPDATE runs SET step = ?, updated_at = ? WHERE id = ?').run(cp.step, Date.now(), runId);
    return { step: cp.step, metricsDeleted, checkpointsDeleted };
  });
}
