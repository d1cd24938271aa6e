/**
 * Branded number and shape types for the DTensor layer.
 *
 * Two kinds of brand:
 * - "open" brands (`__brand?`) accept plain numbers/arrays, so callers never need a cast, but refuse a
 *   value that carries a *different* brand;
 * - "closed" brands (`__brand`) are only produced by this layer's functions.
 * The point is that the compiler refuses the two classic mix-ups: a replica/shard index passed as a
 * device id, and a shard's local shape passed where the global shape is expected.
 */

/** A mesh device id (as in `Mesh.deviceIds`), not a position in a list. */
export type DeviceId = number & { readonly __brand?: 'DeviceId' };

/** Which replica of a sharded tensor a device belongs to (0 = the primary replica). */
export type ReplicaIndex = number & { readonly __brand: 'ReplicaIndex' };

/** Position of a device's shard among the distinct shards of one replica (its shard group). */
export type ShardIndex = number & { readonly __brand: 'ShardIndex' };

/** Shape of the whole (global) tensor. */
export type GlobalShape = readonly number[] & { readonly __brand?: 'GlobalShape' };

/** Shape of one device's local shard of a tensor. */
export type ShardShape = readonly number[] & { readonly __brand: 'ShardShape' };

/** A half-open range `[start, start + size)` along one tensor axis, in global indices. */
export interface AxisSlice {
  readonly start: number;
  readonly size: number;
}

/** The typed arrays a shard can be cut from (one flat row-major buffer per tensor). */
export type ShardableArray =
  Float32Array | Float64Array | Int32Array | Uint32Array | Int16Array | Uint16Array | Int8Array | Uint8Array | Uint8ClampedArray;

export function isNonNegativeInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

/** Python-list style rendering, so error texts read like DTensor's (`['x', 'unsharded']`). */
export function pyList(items: readonly (string | number)[]): string {
  return `[${items.map((i) => (typeof i === 'string' ? `'${i}'` : String(i))).join(', ')}]`;
}
