/**
 * Loading checkpoints with verification: every stored part is re-hashed, the manifest hash over
 * metadata + state + shard places + part hashes must match, and every tensor must be complete.
 * Anything else (including SQLite's own "malformed" errors on the blob pages) is a CheckpointCorruptError.
 */
import {
  type CheckpointData,
  type CheckpointDType,
  type CheckpointTensor,
  type ManifestTensor,
  checkComplete,
  concatParts,
  hash64,
  manifestHash,
  parseSlicesKey,
  shardFromBytes,
} from '../../core/checkpoint/index';
import { ValueError } from '../../core/errors';
import { type StoreContext, sql } from './context';
import { CheckpointCorruptError, StoreError, sqliteCode } from './errors';
import { checkpointIdsNewestFirst, bestCheckpointId } from './checkpoints';

export interface LoadedCheckpoint extends CheckpointData {
  id: number;
  runId: string;
  createdAt: number;
  bytes: number;
  hash: string;
}

export interface ValidCheckpointResult {
  /** The newest checkpoint that verified, or null if none did. */
  checkpoint: LoadedCheckpoint | null;
  /** Newer checkpoints that failed verification, newest first. */
  skipped: CheckpointCorruptError[];
}

interface CheckpointRow {
  id: number;
  run_id: string;
  step: number;
  iterations: number;
  state: string;
  mesh: string;
  created_at: number;
  bytes: number;
  hash: string;
}

interface TensorRow {
  path: string;
  dtype: CheckpointDType;
  global_shape: string;
  specs: string;
  mesh: string;
}

interface PartRow {
  path: string;
  slices: string;
  part: number;
  hash: string;
  data: Buffer;
}

/** Thrown inside loading for a verification failure; turned into CheckpointCorruptError. */
class Mismatch extends Error {}

export function loadCheckpoint(ctx: StoreContext, checkpointId: number): LoadedCheckpoint {
  const row = sql(ctx, 'SELECT * FROM checkpoints WHERE id = ?').get(checkpointId) as CheckpointRow | undefined;
  if (!row) throw new StoreError('not-found', ctx.file, `No checkpoint ${checkpointId} in ${ctx.file}.`);
  try {
    return readVerified(ctx, row);
  } catch (error) {
    const code = sqliteCode(error);
    if (
      error instanceof Mismatch ||
      error instanceof ValueError ||
      error instanceof SyntaxError ||
      code.startsWith('SQLITE_CORRUPT')
    ) {
      const reason = code ? `SQLite could not read it (${code}: ${(error as Error).message})` : (error as Error).message;
      throw new CheckpointCorruptError(ctx.file, row.id, row.run_id, row.step, reason, { cause: error });
    }
    throw error;
  }
}

function readVerified(ctx: StoreContext, row: CheckpointRow): LoadedCheckpoint {
  const tensorRows = sql(
    ctx,
    'SELECT path, dtype, global_shape, specs, mesh FROM checkpoint_tensors WHERE checkpoint_id = ? ORDER BY path',
  ).all(row.id) as TensorRow[];
  const tensors = new Map<string, { manifest: ManifestTensor; tensor: CheckpointTensor }>();
  for (const t of tensorRows) {
    const layout = { specs: JSON.parse(t.specs) as string[], mesh: t.mesh };
    const globalShape = JSON.parse(t.global_shape) as number[];
    const manifest: ManifestTensor = { path: t.path, dtype: t.dtype, globalShape, layout, shards: [] };
    tensors.set(t.path, { manifest, tensor: { path: t.path, dtype: t.dtype, globalShape, layout, shards: [] } });
  }
  const partRows = sql(
    ctx,
    'SELECT path, slices, part, hash, data FROM checkpoint_shards WHERE checkpoint_id = ? ORDER BY path, slices, part',
  );
  let pending: PartRow[] = [];
  const flush = () => {
    if (pending.length > 0) addShard(tensors, pending);
    pending = [];
  };
  for (const part of partRows.iterate(row.id) as IterableIterator<PartRow>) {
    if (pending.length > 0 && (pending[0].path !== part.path || pending[0].slices !== part.slices)) flush();
    pending.push(part);
  }
  flush();
  const header = { step: row.step, iterations: row.iterations, stateJson: row.state, mesh: row.mesh };
  const computed = manifestHash(
    header,
    [...tensors.values()].map((t) => t.manifest),
  );
  if (computed !== row.hash)
    throw new Mismatch(`its manifest hash is ${computed}, expected ${row.hash} (a shard or tensor row is missing or altered)`);
  for (const { tensor } of tensors.values()) checkComplete(tensor);
  return {
    id: row.id,
    runId: row.run_id,
    step: row.step,
    iterations: row.iterations,
    state: JSON.parse(row.state) as object,
    mesh: row.mesh,
    createdAt: row.created_at,
    bytes: row.bytes,
    hash: row.hash,
    tensors: [...tensors.values()].map((t) => t.tensor),
  };
}

/** Verifies the parts of one shard and appends it to its tensor. */
function addShard(tensors: Map<string, { manifest: ManifestTensor; tensor: CheckpointTensor }>, parts: PartRow[]): void {
  const { path, slices } = parts[0];
  const entry = tensors.get(path);
  if (!entry) throw new Mismatch(`shard [${slices}] belongs to no tensor "${path}"`);
  const partHashes = parts.map((p, i) => {
    if (p.part !== i) throw new Mismatch(`shard [${slices}] of "${path}" is missing part ${i}`);
    const actual = hash64(p.data);
    if (actual !== p.hash)
      throw new Mismatch(`shard [${slices}] of "${path}" (part ${i}) hashes to ${actual}, expected ${p.hash}`);
    return actual;
  });
  const bytes = concatParts(parts.map((p) => p.data));
  entry.manifest.shards.push({ slices, bytes: bytes.byteLength, partHashes });
  entry.tensor.shards.push({ slices: parseSlicesKey(slices), data: shardFromBytes(entry.tensor.dtype, bytes) });
}

/** The run's newest checkpoint, verified (throws CheckpointCorruptError if it fails), or null if it has none. */
export function latestCheckpoint(ctx: StoreContext, runId: string): LoadedCheckpoint | null {
  const [newest] = checkpointIdsNewestFirst(ctx, runId);
  return newest === undefined ? null : loadCheckpoint(ctx, newest);
}

/** The newest checkpoint that verifies, falling back past corrupt ones (which are reported, not deleted). */
export function latestValidCheckpoint(ctx: StoreContext, runId: string): ValidCheckpointResult {
  const skipped: CheckpointCorruptError[] = [];
  for (const id of checkpointIdsNewestFirst(ctx, runId)) {
    try {
      return { checkpoint: loadCheckpoint(ctx, id), skipped };
    } catch (error) {
      if (!(error instanceof CheckpointCorruptError)) throw error;
      skipped.push(error);
    }
  }
  return { checkpoint: null, skipped };
}

/**
 * The checkpoint export and evaluate use when none is named: the run's best one (early stopping) when
 * it verifies, else the newest valid one.
 */
export function defaultCheckpoint(ctx: StoreContext, runId: string): ValidCheckpointResult {
  const best = bestCheckpointId(ctx, runId);
  if (best !== null) {
    try {
      return { checkpoint: loadCheckpoint(ctx, best), skipped: [] };
    } catch (error) {
      if (!(error instanceof CheckpointCorruptError)) throw error;
      const rest = latestValidCheckpoint(ctx, runId);
      return { checkpoint: rest.checkpoint, skipped: [error, ...rest.skipped] };
    }
  }
  return latestValidCheckpoint(ctx, runId);
}
