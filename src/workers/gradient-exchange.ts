/**
 * The worker side of the gradient exchange: the step's buckets and reused buffers, following the
 * per-variable plans of core/collectives/exchange-plan.ts.
 */
import type { Collectives } from '../core/collectives/types';
import type { ExchangePlan } from '../core/collectives/exchange-plan';
import { insertShard, shardRuns } from '../core/dtensor/shard';
import { allocHostBuffer, type HostBuffer } from '../core/optimizers/kernels/wasm-heap';
import { countCopy } from '../core/metering/copy-meter';

/**
 * All variables' exchanges of one step, bucketed so a step costs one reduce-scatter over the mesh,
 * one all-gather per distinct replica group and one all-gather per distinct shard-owner group,
 * instead of a round of messages per variable (latency, not bandwidth, dominates small models).
 * Buffers are allocated once and reused: fresh multi-megabyte arrays every step cost more in page
 * faults than the transfers themselves. Results are valid until the next call.
 */
export class ExchangeBuckets {
  private readonly me: number;
  private readonly single: boolean;
  private readonly chunkSizes: number[];
  private readonly packed: Float32Array;
  /** This device's reduce-scatter result, in the optimizer's heap so its kernel reads it in place. */
  private readonly mine: HostBuffer;
  private readonly pieceSizes: number[];
  /** Per variable: the runs of its full gradient that go into `packed`, for every device. */
  private readonly packRuns: PackRun[][];
  /** Which variables' gradients are already in `packed` this step (taken from the backend by sink()). */
  private readonly packedNow: boolean[];
  /** One device: where each gradient lands, in the optimizer's heap (the gradient is already the sum). */
  private readonly landing: HostBuffer[];
  private readonly replicaBuckets: Bucket[];
  private readonly ownerBuckets: Bucket[];
  /** Variables in a replica bucket: their shard, rebuilt from the group's pieces. */
  private readonly replicaShards = new Map<number, Float32Array>();
  private readonly gatherOnly: boolean;

  /** `gatherOnly`: this instance only gathers parameters (its reduce buffers are not allocated). */
  constructor(private readonly plans: ExchangePlan[], deviceId: number, options: { gatherOnly?: boolean } = {}) {
    const devices = plans[0]?.devices ?? [deviceId];
    this.me = devices.indexOf(deviceId);
    this.single = devices.length === 1;
    this.chunkSizes = devices.map((_, i) => plans.reduce((a, p) => a + p.pieces[i]!.size, 0));
    this.gatherOnly = options.gatherOnly === true;
    const noReduce = this.single || this.gatherOnly;
    this.packed = new Float32Array(noReduce ? 0 : this.chunkSizes.reduce((a, b) => a + b, 0));
    this.mine = allocHostBuffer('float32', noReduce ? 0 : this.chunkSizes[this.me]!);
    this.pieceSizes = plans.map((p) => p.pieces[this.me]!.size);
    this.packRuns = noReduce ? [] : packRunsOf(plans);
    this.packedNow = plans.map(() => false);
    this.landing = this.single && !this.gatherOnly ? plans.map((p) => allocHostBuffer('float32', size(p.globalShape))) : [];
    this.replicaBuckets = options.gatherOnly ? [] : buckets(plans, (p) => (p.replicas.length > 1 ? p.replicas : null), (p) => p.replicaPieceSizes);
    this.ownerBuckets = buckets(plans, (p) => (p.replicated ? null : p.shardOwners), (p) => p.shardSizes);
    for (const b of this.replicaBuckets) b.indices.forEach((k) => this.replicaShards.set(k, new Float32Array(sum(plans[k]!.replicaPieceSizes))));
  }

  /**
   * Takes variable k's full gradient while it is still a view of the backend's memory: one device
   * copies it to its landing buffer (returned, the gradient to use); several pack it for the
   * reduce-scatter straight away (null: reduce() need not pack it again).
   */
  sink(k: number, view: Float32Array): Float32Array | null {
    if (this.single) {
      const out = this.landing[k]!.array() as Float32Array;
      out.set(view);
      return out;
    }
    this.pack(k, view);
    this.packedNow[k] = true;
    return null;
  }

  /**
   * Each variable's shard of the global gradient sum, from this device's full-size gradients (those
   * not already packed by sink()). Results are valid until the next call (the shards view heap memory).
   */
  async reduce(grads: (Float32Array | undefined)[], c: Collectives): Promise<Float32Array[]> {
    if (this.gatherOnly) throw new Error('internal: reduce on a gather-only ExchangeBuckets');
    if (this.single) return grads.map((g, k) => g ?? missingGrad(this.plans[k]!.path)); // one device: its gradient is the sum
    this.plans.forEach((p, k) => {
      if (!this.packedNow[k]) this.pack(k, grads[k] ?? missingGrad(p.path)), countCopy('pack', 4 * size(p.globalShape));
      this.packedNow[k] = false;
    });
    const mine = this.mine.array() as Float32Array; // a fresh view: the heap may have grown since setup
    await c.reduceScatterSum(this.packed, this.chunkSizes, undefined, mine);
    // Nothing allocates heap memory while the collectives run; if that ever changed, the sums would
    // have gone to a detached view: fail loudly rather than train on stale numbers.
    if (mine.buffer !== this.mine.array().buffer) throw new Error('internal: the wasm heap grew during the reduce-scatter');
    const shards = split(mine, this.pieceSizes);
    for (const b of this.replicaBuckets) {
      b.indices.forEach((k, j) => b.send.set(shards[k]!, b.sendOffsets[j]!));
      countCopy('pack', b.send.byteLength + b.all.byteLength); // packed here, unpacked below
      await c.allGather(b.send, b.memberSizes, b.group, b.all);
      // Member-major: member m's pieces of every variable in the bucket; a shard is its pieces in member order.
      let at = 0;
      const filled = b.indices.map(() => 0);
      b.group.forEach((_, m) => b.indices.forEach((k, j) => {
        const n = this.plans[k]!.replicaPieceSizes[m]!;
        this.replicaShards.get(k)!.set(b.all.subarray(at, at + n), filled[j]);
        filled[j]! += n;
        at += n;
      }));
    }
    return shards.map((s, k) => this.replicaShards.get(k) ?? s);
  }

  /**
   * Rebuilds every sharded variable's full value from all owners' updated shards. `shardOf(k)` is
   * called when variable k's shard is packed (a fresh view: heap views go stale across awaits).
   */
  async gather(shardOf: (k: number) => Float32Array, fulls: (Float32Array | null)[], c: Collectives): Promise<void> {
    for (const b of this.ownerBuckets) {
      b.indices.forEach((k, j) => b.send.set(shardOf(k), b.sendOffsets[j]!));
      const all = b.group.length === 1 ? b.send : ((await c.allGather(b.send, b.memberSizes, b.group, b.all)) as Float32Array);
      countCopy('pack', b.send.byteLength + all.byteLength); // packed above, unpacked below
      let at = 0;
      b.group.forEach((d, m) => b.indices.forEach((k) => {
        const p = this.plans[k]!;
        const n = p.shardSizes[m]!;
        insertShard(fulls[k]!, p.globalShape, p.slicesOf.get(d)!, all.subarray(at, at + n));
        at += n;
      }));
    }
  }

  private pack(k: number, grad: Float32Array): void {
    for (const r of this.packRuns[k]!) this.packed.set(grad.subarray(r.from, r.from + r.length), r.to);
  }
}

/** `length` elements of a variable's full gradient at `from` go to `to` in the packed buffer. */
interface PackRun {
  from: number;
  to: number;
  length: number;
}

/**
 * The packed layout: device-major, then variable; device i's part of variable k is piece i of the
 * shard device i holds. Computed once as runs of the full gradient, so packing allocates nothing.
 */
function packRunsOf(plans: ExchangePlan[]): PackRun[][] {
  const runs: PackRun[][] = plans.map(() => []);
  let offset = 0;
  plans[0]!.devices.forEach((d, i) => plans.forEach((p, k) => {
    const { start, size: n } = p.pieces[i]!;
    // The shard's runs, clipped to the piece [start, start + n) of the shard.
    for (const r of shardRuns(p.globalShape, p.slicesOf.get(d)!)) {
      const a = Math.max(start, r.localOffset);
      const b = Math.min(start + n, r.localOffset + r.length);
      if (a < b) runs[k]!.push({ from: r.globalOffset + (a - r.localOffset), to: offset + (a - start), length: b - a });
    }
    offset += n;
  }));
  return runs;
}

function missingGrad(path: string): never {
  throw new Error(`internal: no gradient for ${path}`);
}

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Variables sharing one communication group, with their reusable send and receive buffers. */
interface Bucket {
  group: readonly number[];
  indices: number[];
  memberSizes: number[];
  sendOffsets: number[];
  send: Float32Array;
  all: Float32Array;
}

function buckets(plans: ExchangePlan[], groupOf: (p: ExchangePlan) => readonly number[] | null, sizesOf: (p: ExchangePlan) => number[]): Bucket[] {
  return [...groupBy(plans, (p) => groupOf(p)?.join(',') ?? null).values()].map((indices) => {
    const group = groupOf(plans[indices[0]!]!)!;
    const memberSizes = group.map((_, m) => indices.reduce((a, k) => a + sizesOf(plans[k]!)[m]!, 0));
    const me = group.indexOf(plans[indices[0]!]!.deviceId);
    const mySizes = indices.map((k) => sizesOf(plans[k]!)[me]!);
    const sendOffsets = mySizes.map((_, j) => sum(mySizes.slice(0, j)));
    return { group, indices, memberSizes, sendOffsets, send: new Float32Array(sum(mySizes)), all: new Float32Array(sum(memberSizes)) };
  });
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

function groupBy(plans: ExchangePlan[], key: (p: ExchangePlan) => string | null): Map<string, number[]> {
  const out = new Map<string, number[]>();
  plans.forEach((p, k) => {
    const g = key(p);
    if (g !== null) out.set(g, [...(out.get(g) ?? []), k]);
  });
  return out;
}

function split(data: Float32Array, sizes: number[]): Float32Array[] {
  let at = 0;
  return sizes.map((n) => data.subarray(at, (at += n)));
}
