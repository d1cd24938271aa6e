/**
 * Between worker shard records and the store's checkpoint tensors. Saving groups every device's
 * primary shards by logical path; loading cuts each tensor to the layout it has on the (possibly
 * different) mesh of the resuming run — this is where a 4-device checkpoint becomes a 2-device one.
 */
import { Layout } from '../../core/dtensor/layout';
import type { Mesh } from '../../core/dtensor/mesh';
import { shardSlices } from '../../core/dtensor/shard';
import { localShardFor, type CheckpointTensor } from '../../core/checkpoint/index';
import type { ShardRecord, VariableLayout } from '../../shared/worker-protocol';

export function toCheckpointTensors(records: ShardRecord[], meshText: string): CheckpointTensor[] {
  const byPath = new Map<string, CheckpointTensor>();
  for (const r of records) {
    let t = byPath.get(r.path);
    if (!t) {
      t = { path: r.path, dtype: r.dtype, globalShape: r.globalShape, layout: { specs: r.specs, mesh: meshText }, shards: [] };
      byPath.set(r.path, t);
    }
    t.shards.push({ slices: r.slices, data: r.data });
  }
  return [...byPath.values()];
}

/** The shard records one device of `mesh` needs, from a checkpoint saved on any mesh. */
export function shardsForDevice(
  tensors: CheckpointTensor[],
  layouts: VariableLayout[],
  mesh: Mesh,
  deviceId: number,
): ShardRecord[] {
  const byPath = new Map(tensors.map((t) => [t.path, t]));
  return layouts.map((v) => {
    const tensor = byPath.get(v.path);
    if (!tensor) throw new Error(`the checkpoint has no variable ${v.path}: it was saved from a different model or optimizer`);
    if (tensor.globalShape.join() !== v.globalShape.join()) {
      throw new Error(`checkpoint variable ${v.path} has shape [${tensor.globalShape}] but the model needs [${v.globalShape}]`);
    }
    const layout = new Layout(v.specs, mesh);
    const data = localShardFor(tensor, layout, deviceId);
    return {
      path: v.path,
      dtype: v.dtype,
      globalShape: v.globalShape,
      specs: v.specs,
      slices: shardSlices(v.globalShape, layout, deviceId),
      data,
    };
  });
}
