/**
 * Planning how a variable's gradients reach the owners of each shard and its parameters get back to
 * every device, per layout (pure: which device sends which slice; the buffers live in the workers).
 * Every device computes the full gradient of its batch slice; the global sum of shard s is needed by
 * the R devices that hold a replica of s. One reduce-scatter over the whole mesh gives each of those R
 * devices 1/R of shard s (its "piece"), then an all-gather inside the replica group rebuilds the
 * shard: bandwidth-optimal, and a single reduce-scatter when every device owns a distinct shard.
 */
import type { Layout } from '../dtensor/layout';
import { axisSlices, replicaGroup, shardGroup, shardSlices, type AxisSlice } from '../dtensor/shard';

export interface ExchangePlan {
  path: string;
  globalShape: readonly number[];
  layout: Layout;
  deviceId: number;
  /** Every device of the mesh, ascending: the reduce-scatter group. */
  devices: readonly number[];
  slicesOf: Map<number, AxisSlice[]>;
  /** Each device's piece of its own shard (flat offsets inside the shard), in `devices` order. */
  pieces: { start: number; size: number }[];
  /** Devices holding the same shard as this one, and their piece sizes. */
  replicas: readonly number[];
  replicaPieceSizes: number[];
  /** Devices holding the distinct shards of this device's replica, and their shard sizes. */
  shardOwners: readonly number[];
  shardSizes: number[];
  replicated: boolean;
}

const count = (slices: AxisSlice[]) => slices.reduce((a, s) => a * s.size, 1);

export function planExchange(path: string, globalShape: readonly number[], layout: Layout, deviceId: number): ExchangePlan {
  const devices = [...layout.mesh.deviceIds].sort((a, b) => a - b);
  const slicesOf = new Map(devices.map((d) => [d, shardSlices(globalShape, layout, d)] as const));
  const pieces = devices.map((d) => {
    const group = replicaGroup(layout, d);
    const split = axisSlices(count(slicesOf.get(d)!), group.length);
    return split[group.indexOf(d)]!;
  });
  const replicas = replicaGroup(layout, deviceId);
  const owners = shardGroup(layout, deviceId);
  return {
    path,
    globalShape,
    layout,
    deviceId,
    devices,
    slicesOf,
    pieces,
    replicas,
    replicaPieceSizes: replicas.map((d) => pieces[devices.indexOf(d)]!.size),
    shardOwners: owners,
    shardSizes: owners.map((d) => count(slicesOf.get(d)!)),
    replicated: owners.length === 1,
  };
}
