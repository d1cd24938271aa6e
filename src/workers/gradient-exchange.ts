/**
 * The worker side of the gradient exchange: the step's buckets and reused buffers, following the
 * per-variable plans of core/collectives/exchange-plan.ts.
 */
import type { Collectives } from '../core/collectives/types';
import type { ExchangePlan } from '../core/collectives/exchange-plan';
import { extractShard, insertShard } from '../core/dtensor/shard';
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
  private readonly mine: Float32Array;
  private readonly pieces: Float32Array[];
  private readonly replicaBuckets: Bucket[];
  private readonly ownerBuckets: Bucket[];
  private readonly shards: Float32Array[];
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
    this.mine = new Float32Array(noReduce ? 0 : this.chunkSizes[this.me]!);
    this.pieces = split(this.mine, plans.map((p) => p.pieces[this.me]!.size));
    this.shards = [...this.pieces];
    this.replicaBuckets = options.gatherOnly ? [] : buckets(plans, (p) => (p.replicas.length > 1 ? p.replicas : null), (p) => p.replicaPieceSizes);
    this.ownerBuckets = buckets(plans, (p) => (p.replicated ? null : p.shardOwners), (p) => p.shardSizes);
    for (const b of this.replicaBuckets) b.indices.forEach((k) => (this.shards[k] = new Float32Array(sum(plans[k]!.replicaPieceSizes))));
  }

  /** Each variable's shard of the global gradient sum, from this device's full-size gradients. */
  async reduce(grads: Float32Array[], c: Collectives): Promise<Float32Array[]> {
    if (this.gatherOnly) throw new Error('internal: reduce on a gather-only ExchangeBuckets');
    if (this.single) return grads; // one device: its gradient is the sum, and its shard is everything
    const devices = this.plans[0]!.devices;
    let offset = 0;
    devices.forEach((d, i) => this.plans.forEach((p, k) => {
      const { start, size } = p.pieces[i]!;
      const shard = p.replicated ? grads[k]! : extractShard(grads[k]!, p.globalShape, p.slicesOf.get(d)!);
      this.packed.set(shard.subarray(start, start + size), offset);
      offset += size;
    }));
    countCopy('pack', this.packed.byteLength);
    await c.reduceScatterSum(this.packed, this.chunkSizes, undefined, this.mine);
    for (const b of this.replicaBuckets) {
      b.indices.forEach((k, j) => b.send.set(this.pieces[k]!, b.sendOffsets[j]!));
      countCopy('pack', b.send.byteLength + b.all.byteLength); // packed here, unpacked below
      await c.allGather(b.send, b.memberSizes, b.group, b.all);
      // Member-major: member m's pieces of every variable in the bucket; a shard is its pieces in member order.
      let at = 0;
      const filled = b.indices.map(() => 0);
      b.group.forEach((_, m) => b.indices.forEach((k, j) => {
        const n = this.plans[k]!.replicaPieceSizes[m]!;
        this.shards[k]!.set(b.all.subarray(at, at + n), filled[j]);
        filled[j]! += n;
        at += n;
      }));
    }
    return this.shards;
  }

  /** Rebuilds every sharded variable's full value from all owners' updated shards. */
  async gather(shards: Float32Array[], fulls: (Float32Array | null)[], c: Collectives): Promise<void> {
    for (const b of this.ownerBuckets) {
      b.indices.forEach((k, j) => b.send.set(shards[k]!, b.sendOffsets[j]!));
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
}

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
