/**
 * Building checkpoint tensors from what the devices hold: each device reports its local shard, and
 * only the primary replica of each distinct region is kept (replicas are identical by construction,
 * and storing them N times would multiply the checkpoint). Pure.
 */
import { ValueError } from '../errors';
import { type Layout } from '../dtensor/layout';
import { isPrimaryReplica, shardSlices } from '../dtensor/shard';
import type { DeviceId } from '../dtensor/types';
import { type CheckpointDType, type CheckpointShard, type CheckpointTensor, slicesKey, tensorLayout } from './format';
import { checkComplete } from './reshard';

export interface DeviceShard {
  deviceId: DeviceId;
  data: Float32Array | Float64Array;
}

export interface DeviceShardsInput {
  path: string;
  dtype: CheckpointDType;
  globalShape: readonly number[];
  layout: Layout;
  /** Any subset of the devices that includes one holder of every region (extra replicas are ignored). */
  shards: readonly DeviceShard[];
}

/** A complete CheckpointTensor from per-device shards; throws if a region has no holder. */
export function tensorFromDeviceShards(input: DeviceShardsInput): CheckpointTensor {
  const { path, dtype, globalShape, layout } = input;
  const byKey = new Map<string, CheckpointShard & { primary: boolean }>();
  for (const { deviceId, data } of input.shards) {
    const slices = shardSlices(globalShape, layout, deviceId);
    const key = slicesKey(slices);
    const primary = isPrimaryReplica(layout, deviceId);
    const seen = byKey.get(key);
    // Prefer the primary replica, so the saved bytes do not depend on which devices answered first.
    if (!seen || (primary && !seen.primary)) byKey.set(key, { slices, data, primary });
  }
  const tensor: CheckpointTensor = {
    path,
    dtype,
    globalShape: [...globalShape],
    layout: tensorLayout(layout),
    shards: [...byKey.values()].map(({ slices, data }) => ({ slices, data })),
  };
  checkComplete(tensor);
  return tensor;
}

/** A scalar or small replicated tensor (e.g. 'optimizer/iteration' as int64). */
export function replicatedTensor(
  path: string,
  dtype: CheckpointDType,
  globalShape: readonly number[],
  data: Float32Array | Float64Array,
  layout: Layout,
): CheckpointTensor {
  if (!layout.isFullyReplicated()) throw new ValueError(`replicatedTensor("${path}") needs a replicated layout, got ${layout}.`);
  return tensorFromDeviceShards({ path, dtype, globalShape, layout, shards: [{ deviceId: layout.mesh.deviceIds[0], data }] });
}
