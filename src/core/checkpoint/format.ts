/**
 * The checkpoint tensor format: one logical tensor (a parameter, an optimizer slot, the iteration
 * counter) with its global shape, its layout, and the distinct shards of one replica. Tensors are
 * keyed by logical path and layout, never by worker rank, so a checkpoint saved on 4 devices can be
 * resharded onto 2 (see reshard.ts). Pure: no runtime imports.
 */
import { ValueError } from '../errors';
import { Layout } from '../dtensor/layout';
import { Mesh } from '../dtensor/mesh';
import { numElements, shardSlices } from '../dtensor/shard';
import type { AxisSlice } from '../dtensor/types';

export type CheckpointDType = 'float32' | 'float64' | 'int64';
export const CHECKPOINT_DTYPES: readonly CheckpointDType[] = ['float32', 'float64', 'int64'];

/** A layout in text form: one spec per axis (mesh dim name or 'unsharded') and the mesh text. */
export interface TensorLayout {
  specs: string[];
  /** Mesh text, e.g. `batch=2,model=2`. */
  mesh: string;
}

/** One distinct shard: its global slice per axis and its row-major data. int64 data is a Float64Array. */
export interface CheckpointShard {
  slices: AxisSlice[];
  data: Float32Array | Float64Array;
}

export interface CheckpointTensor {
  /** Logical path: 'params/dense.kernel', 'optimizer/Adadelta/accumulated_grad/dense.kernel', 'optimizer/iteration'. */
  path: string;
  dtype: CheckpointDType;
  globalShape: number[];
  layout: TensorLayout;
  shards: CheckpointShard[];
}

/** Everything a checkpoint holds besides its id: the caller's view of what to save and what was loaded. */
export interface CheckpointData {
  step: number;
  iterations: number;
  /** RNG / data-cursor state; stored as JSON. */
  state: object;
  /** Mesh text of the run that saved it. */
  mesh: string;
  tensors: CheckpointTensor[];
}

/** `{specs, mesh}` of a Layout. */
export function tensorLayout(layout: Layout): TensorLayout {
  return { specs: [...layout.shardingSpecs], mesh: layout.mesh.toString() };
}

/** The Layout a tensor was saved with (a mesh parsed from text; device ids 0…n−1). */
export function layoutOf(layout: TensorLayout): Layout {
  return new Layout(layout.specs, Mesh.parse(layout.mesh));
}

/** Bytes one element takes in the stored blob. */
export function bytesPerElement(dtype: CheckpointDType): number {
  return dtype === 'float32' ? 4 : 8;
}

/** Stored size of all shard data of a tensor. */
export function tensorBytes(tensor: CheckpointTensor): number {
  return tensor.shards.reduce((sum, s) => sum + s.data.length * bytesPerElement(tensor.dtype), 0);
}

export function sliceVolume(slices: readonly AxisSlice[]): number {
  return numElements(slices.map((s) => s.size));
}

/** Canonical text of a shard's slices (`0:4,0:10`), used as its key in the store and in hashes. */
export function slicesKey(slices: readonly AxisSlice[]): string {
  return slices.map((s) => `${s.start}:${s.start + s.size}`).join(',');
}

export function parseSlicesKey(key: string): AxisSlice[] {
  if (key === '') return [];
  return key.split(',').map((part) => {
    const m = /^(\d+):(\d+)$/.exec(part);
    if (!m || Number(m[2]) < Number(m[1])) throw new ValueError(`Invalid shard slices ${JSON.stringify(key)}.`);
    return { start: Number(m[1]), size: Number(m[2]) - Number(m[1]) };
  });
}

/** The intersection of two regions, or null when they do not overlap (an empty region never overlaps). */
export function intersect(a: readonly AxisSlice[], b: readonly AxisSlice[]): AxisSlice[] | null {
  const out: AxisSlice[] = [];
  for (let i = 0; i < a.length; i++) {
    const start = Math.max(a[i].start, b[i].start);
    const end = Math.min(a[i].start + a[i].size, b[i].start + b[i].size);
    if (end <= start) return null;
    out.push({ start, size: end - start });
  }
  return out;
}

/**
 * Throws a ValueError naming the tensor when it is malformed: bad dtype or shape, a layout that does
 * not fit the shape, a shard outside the tensor, of the wrong length or type, or overlapping another.
 * Coverage (no missing region) is checked separately by `coverageProblem`.
 */
export function validateTensor(tensor: CheckpointTensor): void {
  const where = `Checkpoint tensor ${JSON.stringify(tensor?.path)}`;
  if (typeof tensor?.path !== 'string' || tensor.path === '') throw new ValueError(`${where}: path must be a non-empty string.`);
  if (!CHECKPOINT_DTYPES.includes(tensor.dtype)) throw new ValueError(`${where}: unknown dtype ${JSON.stringify(tensor.dtype)}.`);
  const shape = tensor.globalShape;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new ValueError(`${where}: globalShape must be non-negative integers, got ${JSON.stringify(shape)}.`);
  }
  const layout = layoutOf(tensor.layout ?? ({} as TensorLayout));
  if (layout.rank !== shape.length) {
    throw new ValueError(
      `${where}: layout ${layout} has rank ${layout.rank}, but the shape [${shape.join(', ')}] has rank ${shape.length}.`,
    );
  }
  if (!Array.isArray(tensor.shards)) throw new ValueError(`${where}: shards must be an array.`);
  tensor.shards.forEach((shard, i) => validateShard(tensor, shard, `${where} shard ${i}`));
  checkDisjoint(tensor, where);
}

function validateShard(tensor: CheckpointTensor, shard: CheckpointShard, where: string): void {
  const { slices, data } = shard;
  const fits = (s: AxisSlice, axis: number) =>
    Number.isInteger(s?.start) &&
    Number.isInteger(s?.size) &&
    s.start >= 0 &&
    s.size >= 0 &&
    s.start + s.size <= tensor.globalShape[axis];
  if (!Array.isArray(slices) || slices.length !== tensor.globalShape.length || !slices.every(fits)) {
    throw new ValueError(`${where}: slices ${JSON.stringify(slices)} do not fit in shape [${tensor.globalShape.join(', ')}].`);
  }
  const wantType = tensor.dtype === 'float32' ? Float32Array : Float64Array;
  if (!(data instanceof wantType)) {
    throw new ValueError(
      `${where}: ${tensor.dtype} data must be a ${wantType.name}, got ${data?.constructor?.name ?? typeof data}.`,
    );
  }
  if (data.length !== sliceVolume(slices)) {
    throw new ValueError(`${where}: has ${data.length} elements, but slices [${slicesKey(slices)}] hold ${sliceVolume(slices)}.`);
  }
  if (tensor.dtype === 'int64' && !data.every((v) => Number.isSafeInteger(v))) {
    throw new ValueError(`${where}: int64 data must hold safe integers.`);
  }
}

function checkDisjoint(tensor: CheckpointTensor, where: string): void {
  const shards = tensor.shards.filter((s) => sliceVolume(s.slices) > 0);
  for (let i = 0; i < shards.length; i++) {
    for (let j = i + 1; j < shards.length; j++) {
      if (intersect(shards[i].slices, shards[j].slices)) {
        throw new ValueError(
          `${where}: shards [${slicesKey(shards[i].slices)}] and [${slicesKey(shards[j].slices)}] overlap ` +
            '(replicas must be de-duplicated before saving).',
        );
      }
    }
  }
}

/**
 * Null when the (validated, disjoint) shards cover the whole tensor; else a message naming the
 * layout's shards that are missing, so a lost shard reads as "missing [2:4, 0:10]".
 */
export function coverageProblem(tensor: CheckpointTensor): string | null {
  const total = numElements(tensor.globalShape);
  const covered = tensor.shards.reduce((sum, s) => sum + sliceVolume(s.slices), 0);
  if (covered === total) return null;
  const have = new Set(tensor.shards.map((s) => slicesKey(s.slices)));
  const missing = expectedSlices(tensor).filter((s) => sliceVolume(s) > 0 && !have.has(slicesKey(s)));
  const names = missing.length > 0 ? missing.map((s) => `[${slicesKey(s)}]`).join(', ') : 'a region not on the layout grid';
  return `Checkpoint tensor "${tensor.path}": shards cover ${covered} of ${total} elements; missing ${names}.`;
}

/** The distinct shard regions the tensor's layout defines (one replica), in device order. */
export function expectedSlices(tensor: CheckpointTensor): AxisSlice[][] {
  const layout = layoutOf(tensor.layout);
  const byKey = new Map<string, AxisSlice[]>();
  for (const deviceId of layout.mesh.deviceIds) {
    const slices = shardSlices(tensor.globalShape, layout, deviceId);
    byKey.set(slicesKey(slices), slices);
  }
  return [...byKey.values()];
}
