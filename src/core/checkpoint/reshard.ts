/**
 * Resharding: a tensor saved under one layout, read back under another (4 devices → 2, 2×2 → 3…).
 * `localShardFor` copies only the saved regions that overlap the wanted shard, so the global tensor
 * is never assembled (equal layouts are a single copy). Pure.
 */
import { ValueError } from '../errors';
import { Layout } from '../dtensor/layout';
import { extractShard, insertShard, isPrimaryReplica, numElements, shardSlices } from '../dtensor/shard';
import type { AxisSlice, DeviceId } from '../dtensor/types';
import {
  type CheckpointShard,
  type CheckpointTensor,
  type TensorLayout,
  coverageProblem,
  intersect,
  layoutOf,
  sliceVolume,
  slicesKey,
  tensorLayout,
  validateTensor,
} from './format';

type FloatArray = Float32Array | Float64Array;

function allocate(tensor: CheckpointTensor, length: number): FloatArray {
  return tensor.dtype === 'float32' ? new Float32Array(length) : new Float64Array(length);
}

/** Throws unless the tensor is well formed and its shards cover every element. */
export function checkComplete(tensor: CheckpointTensor): void {
  validateTensor(tensor);
  const problem = coverageProblem(tensor);
  if (problem) throw new ValueError(problem);
}

/** The whole tensor, row-major: every shard inserted at its slices. */
export function assembleGlobal(tensor: CheckpointTensor): FloatArray {
  checkComplete(tensor);
  const global = allocate(tensor, numElements(tensor.globalShape));
  for (const shard of tensor.shards) insertShard(global, tensor.globalShape, shard.slices, shard.data);
  return global;
}

/** `deviceId`'s shard of the tensor under `newLayout` (a fresh array the caller may keep). */
export function localShardFor(tensor: CheckpointTensor, newLayout: Layout | TensorLayout, deviceId: DeviceId): FloatArray {
  checkComplete(tensor);
  const layout = newLayout instanceof Layout ? newLayout : layoutOf(newLayout);
  const wanted = shardSlices(tensor.globalShape, layout, deviceId);
  return regionOf(tensor, wanted);
}

/** The region `wanted` of a complete tensor, copied from the shards that overlap it. */
export function regionOf(tensor: CheckpointTensor, wanted: readonly AxisSlice[]): FloatArray {
  const key = slicesKey(wanted);
  const same = tensor.shards.find((s) => slicesKey(s.slices) === key);
  if (same) return same.data.slice(); // the layouts agree on this shard: one copy
  const shape = wanted.map((s) => s.size);
  const out = allocate(tensor, numElements(shape));
  let copied = 0;
  for (const shard of tensor.shards) {
    const common = intersect(shard.slices, wanted);
    if (!common) continue;
    copyRegion(shard, common, out, wanted);
    copied += sliceVolume(common);
  }
  // Shards are disjoint (validated), so a shortfall means a hole in the saved tensor.
  if (copied !== out.length) {
    throw new ValueError(
      `Checkpoint tensor "${tensor.path}": region [${key}] is only ${copied} of ${out.length} elements covered.`,
    );
  }
  return out;
}

/** Copies `common` (global coordinates) from `shard` into `out`, which holds the region `target`. */
function copyRegion(shard: CheckpointShard, common: AxisSlice[], out: FloatArray, target: readonly AxisSlice[]): void {
  const relative = (origin: readonly AxisSlice[]) => common.map((s, i) => ({ start: s.start - origin[i].start, size: s.size }));
  const piece = extractShard(
    shard.data,
    shard.slices.map((s) => s.size),
    relative(shard.slices),
  );
  insertShard(
    out,
    target.map((s) => s.size),
    relative(target),
    piece,
  );
}

/** The same tensor saved under `newLayout`: one shard per distinct region (primary replicas). */
export function reshardTensor(tensor: CheckpointTensor, newLayout: Layout | TensorLayout): CheckpointTensor {
  checkComplete(tensor);
  const layout = newLayout instanceof Layout ? newLayout : layoutOf(newLayout);
  const shards: CheckpointShard[] = [];
  const seen = new Set<string>();
  for (const deviceId of layout.mesh.deviceIds) {
    if (!isPrimaryReplica(layout, deviceId)) continue;
    const slices = shardSlices(tensor.globalShape, layout, deviceId);
    const key = slicesKey(slices);
    if (seen.has(key)) continue;
    seen.add(key);
    shards.push({ slices, data: regionOf(tensor, slices) });
  }
  return { ...tensor, layout: tensorLayout(layout), shards };
}
