/**
 * Shard math: which slice of a global tensor each device owns under a layout.
 *
 * Uneven axes are split like numpy's `array_split`: the first `length % n` shards get one extra
 * element, and shards are empty when the axis is shorter than the shard count. (DTensor itself refuses
 * uneven splits; handling them lets any model shape run on any mesh.)
 */
import { ValueError } from '../errors';
import { type Layout, MATCH } from './layout';
import type { DeviceId, GlobalShape, ReplicaIndex, ShardIndex, ShardShape, ShardableArray, AxisSlice } from './types';
import { isNonNegativeInteger, pyList } from './types';

export type { AxisSlice } from './types';

/** `array_split` of `length` elements into `numShards` contiguous slices. */
export function axisSlices(length: number, numShards: number): AxisSlice[] {
  if (!isNonNegativeInteger(length)) throw new ValueError(`Axis length must be a non-negative integer, got ${length}.`);
  if (!Number.isInteger(numShards) || numShards < 1) {
    throw new ValueError(`Shard count must be a positive integer, got ${numShards}.`);
  }
  const base = Math.floor(length / numShards);
  const extra = length % numShards;
  return Array.from({ length: numShards }, (_, k) => ({
    start: k * base + Math.min(k, extra),
    size: base + (k < extra ? 1 : 0),
  }));
}

/** The global slice, per axis, that `deviceId` holds under `layout`. */
export function shardSlices(globalShape: GlobalShape, layout: Layout, deviceId: DeviceId): AxisSlice[] {
  checkShape(globalShape, layout);
  const coords = layout.mesh.coords(deviceId);
  return layout.shardingSpecs.map((spec, axis) => {
    const length = globalShape[axis];
    const n = layout.numShards(axis);
    if (n === 1) return { start: 0, size: length };
    return axisSlices(length, n)[coords[layout.mesh.dimIndex(spec)]];
  });
}

/** The shape of `deviceId`'s local shard. */
export function localShape(globalShape: GlobalShape, layout: Layout, deviceId: DeviceId): ShardShape {
  return shardSlices(globalShape, layout, deviceId).map((s) => s.size) as readonly number[] as ShardShape;
}

/**
 * The sorted devices holding the distinct shards of `deviceId`'s replica: those sharing its
 * coordinate on every mesh dim the layout does not use. A norm over a sharded tensor is all-reduced
 * over this group. Fully replicated layout → `[deviceId]`.
 */
export function shardGroup(layout: Layout, deviceId: DeviceId): DeviceId[] {
  return layout.mesh.subgroup(deviceId, layout.meshDimsUsed());
}

/** The sorted devices holding the same shard as `deviceId` (one per replica). */
export function replicaGroup(layout: Layout, deviceId: DeviceId): DeviceId[] {
  return layout.mesh.subgroup(deviceId, layout.meshDimsUnused());
}

/** Which replica `deviceId` belongs to: its coordinates on the unused mesh dims, raveled row-major. */
export function replicaIndex(layout: Layout, deviceId: DeviceId): ReplicaIndex {
  return ravel(layout, deviceId, layout.meshDimsUnused()) as ReplicaIndex;
}

/** Position of `deviceId`'s shard within its shard group (its index in `shardGroup`). */
export function shardIndex(layout: Layout, deviceId: DeviceId): ShardIndex {
  return ravel(layout, deviceId, layout.meshDimsUsed()) as ShardIndex;
}

/** True on the replica that should act once per shard (e.g. save a checkpoint shard). */
export function isPrimaryReplica(layout: Layout, deviceId: DeviceId): boolean {
  return replicaIndex(layout, deviceId) === 0;
}

export function numElements(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Copies the region `slices` of the row-major `global` into a new array of the same type. */
export function extractShard<T extends ShardableArray>(global: T, globalShape: GlobalShape, slices: readonly AxisSlice[]): T {
  checkBuffer(global, globalShape, slices);
  const shard = new (global.constructor as new (length: number) => T)(numElements(slices.map((s) => s.size)));
  forEachRun(globalShape, slices, (globalOffset, localOffset, length) => {
    shard.set(global.subarray(globalOffset, globalOffset + length) as never, localOffset);
  });
  return shard;
}

/** Writes `shard` into the region `slices` of the row-major `global` (in place). */
export function insertShard<T extends ShardableArray>(
  global: T,
  globalShape: GlobalShape,
  slices: readonly AxisSlice[],
  shard: T,
): void {
  checkBuffer(global, globalShape, slices);
  const expected = numElements(slices.map((s) => s.size));
  if (shard.length !== expected) {
    throw new ValueError(`Shard has ${shard.length} elements, but the slices ${describeSlices(slices)} hold ${expected}.`);
  }
  forEachRun(globalShape, slices, (globalOffset, localOffset, length) => {
    global.set(shard.subarray(localOffset, localOffset + length) as never, globalOffset);
  });
}

/** A contiguous run of a shard: `length` elements at `globalOffset` of the whole value, `localOffset` of the shard. */
export interface ShardRun {
  globalOffset: number;
  localOffset: number;
  length: number;
}

/** The region's contiguous runs in row-major order (for copies planned once and repeated every step). */
export function shardRuns(globalShape: GlobalShape, slices: readonly AxisSlice[]): ShardRun[] {
  const runs: ShardRun[] = [];
  forEachRun(globalShape, slices, (globalOffset, localOffset, length) => runs.push({ globalOffset, localOffset, length }));
  return runs;
}

/**
 * Calls `copy` once per contiguous run of the region, in row-major order. Trailing axes that the
 * region covers fully are merged into the run, so a batch-sharded tensor is a single copy.
 */
function forEachRun(
  shape: readonly number[],
  slices: readonly AxisSlice[],
  copy: (globalOffset: number, localOffset: number, length: number) => void,
): void {
  const rank = shape.length;
  if (slices.some((s) => s.size === 0)) return;
  const strides = new Array<number>(rank);
  for (let i = rank - 1, stride = 1; i >= 0; stride *= shape[i], i--) strides[i] = stride;
  // `inner` = the outermost axis of the contiguous run; axes before it are walked one index at a time.
  let inner = rank - 1;
  while (inner > 0 && slices[inner].start === 0 && slices[inner].size === shape[inner]) inner--;
  const runLength = rank === 0 ? 1 : slices[inner].size * strides[inner];
  const base = slices.reduce((offset, s, i) => offset + s.start * strides[i], 0);
  const index = new Array<number>(Math.max(inner, 0)).fill(0); // odometer over axes [0, inner)
  for (let localOffset = 0; ; localOffset += runLength) {
    copy(base + index.reduce((o, k, i) => o + k * strides[i], 0), localOffset, runLength);
    let axis = inner - 1;
    while (axis >= 0 && ++index[axis] === slices[axis].size) index[axis--] = 0;
    if (axis < 0) return;
  }
}

function ravel(layout: Layout, deviceId: DeviceId, dims: readonly string[]): number {
  const mesh = layout.mesh;
  const coords = mesh.coords(deviceId);
  // Mesh order, so the index equals the device's position in the (id-sorted) group.
  const axes = dims.map((d) => mesh.dimIndex(d)).sort((a, b) => a - b);
  return axes.reduce((index, axis) => index * mesh.shape[axis] + coords[axis], 0);
}

function checkShape(globalShape: readonly number[], layout: Layout): void {
  if (!Array.isArray(globalShape) || !globalShape.every(isNonNegativeInteger)) {
    throw new ValueError(`A tensor shape must be a list of non-negative integers, got ${JSON.stringify(globalShape)}.`);
  }
  if (globalShape.length !== layout.rank) {
    throw new ValueError(`Shape ${pyList(globalShape)} has rank ${globalShape.length}, but ${layout} has rank ${layout.rank}.`);
  }
  if (layout.shardingSpecs.includes(MATCH)) {
    throw new ValueError(`${layout} uses MATCH, which has no concrete sharding; resolve it to a mesh dim or UNSHARDED.`);
  }
}

function checkBuffer(global: ShardableArray, shape: readonly number[], slices: readonly AxisSlice[]): void {
  if (global.length !== numElements(shape)) {
    throw new ValueError(`Global array has ${global.length} elements, but shape ${pyList(shape)} holds ${numElements(shape)}.`);
  }
  const fits = (s: AxisSlice, i: number) =>
    isNonNegativeInteger(s.start) && isNonNegativeInteger(s.size) && s.start + s.size <= shape[i];
  if (slices.length !== shape.length || !slices.every(fits)) {
    throw new ValueError(`Slices ${describeSlices(slices)} do not fit in shape ${pyList(shape)}.`);
  }
}

function describeSlices(slices: readonly AxisSlice[]): string {
  return `[${slices.map((s) => `${s.start}:${s.start + s.size}`).join(', ')}]`;
}
