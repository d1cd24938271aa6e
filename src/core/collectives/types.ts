/**
 * The collective operations the optimizer and the training step need, over the devices of a mesh.
 * One object per device (per worker process, or per simulated device in-process).
 *
 * Groups are lists of mesh device ids, sorted ascending; every member must call the same operation
 * with the same group and the same element count, in the same program order (SPMD).
 * Determinism: every member computes each element's sum in the same order, so the results are
 * bit-identical on all members of the group.
 */
export type ReduceArray = Float32Array | Float64Array;

/**
 * dst += src elementwise (same type and length): the reduction add of every collective. Any
 * implementation must give the JS loop's bits (chunking.ts addInto), NaN payloads included, so that
 * members with and without it still agree bit for bit.
 */
export type AddInto = (dst: ReduceArray, src: ReduceArray) => void;

export interface Collectives {
  /** This device's mesh device id. */
  readonly deviceId: number;
  /** Every device id taking part, sorted ascending. */
  readonly deviceIds: readonly number[];

  /** Elementwise sum of `data` over `group` (default: all devices), written back into `data`. */
  allReduceSum(data: ReduceArray, group?: readonly number[]): Promise<void>;

  /**
   * Elementwise sum over `group`, scattered: `data` is split into group.length contiguous chunks by
   * `chunkSizes` (element counts, one per member in group order, summing to data.length); the member at
   * position i of the group receives the summed chunk i, returned as a new array of the same type —
   * or written into `out` (same type, exactly that length) and returned, so a caller that steps in a
   * loop reuses its buffers instead of paying fresh-memory page faults every step.
   */
  reduceScatterSum(
    data: ReduceArray,
    chunkSizes: readonly number[],
    group?: readonly number[],
    out?: ReduceArray,
  ): Promise<ReduceArray>;

  /**
   * Concatenation in group order of every member's `chunk` (chunk lengths may differ per member and are
   * given by `chunkSizes`); returns the whole array (new, or `out` when given, as for reduceScatterSum).
   */
  allGather(
    chunk: ReduceArray,
    chunkSizes: readonly number[],
    group?: readonly number[],
    out?: ReduceArray,
  ): Promise<ReduceArray>;

  /** Copies `data` of the member `rootDeviceId` into `data` on every member of `group`. */
  broadcast(data: ReduceArray, rootDeviceId: number, group?: readonly number[]): Promise<void>;
}
