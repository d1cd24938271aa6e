/**
 * The worker side of the gradient reduce-scatter: the step's buckets and reused buffers, following the
 * per-variable plans of core/collectives/exchange-plan.ts.
 */
import type { Collectives, ReduceArray } from '../core/collectives/types';
import type { ExchangePlan } from '../core/collectives/exchange-plan';
import { shardRuns } from '../core/dtensor/shard';
import { groupBuckets, size, sum, type Bucket } from './group-buckets';
import { sharedFloat32 } from './transport/shared-arrays';
import type { HostBuffer } from '../core/wasm/heap';
import { defaultContext, type ComputeContext } from '../core/context';
import { awaitedLater } from '../core/async/observed';
import { PackedPool } from './packed-pool';

/** Default size of a reduce-scatter bucket: large enough that per-message latency does not dominate. */
export const DEFAULT_BUCKET_BYTES = 1 << 20;

export interface ExchangeBucketsOptions {
  /**
   * Given: a reduce bucket's reduce-scatter starts as soon as sink() has packed its last gradient
   * (during backward, with gradient hooks), not when reduce() is called.
   */
  collectives?: Collectives;
  /** Gradients are bucketed in reverse variable order, a bucket closing once it holds this many bytes. */
  bucketBytes?: number;
  /**
   * The buckets themselves, as variable indices, in the order their gradients complete (a fully
   * sharded step: one bucket per unit, last unit first); replaces bucketBytes.
   */
  buckets?: number[][];
  /**
   * Buckets draw their packed buffers from a pool of this many, each as large as the largest bucket,
   * instead of holding one each (a fully sharded step: two, so the buffers hold about two units'
   * gradients, not the model's). A bucket's buffer is taken by ready() before sink() packs into it
   * and returns to the pool when its reduce-scatter has finished.
   */
  pooledBuffers?: number;
  /** Whose heap the results land in (the optimizer's, so its kernel reads them in place) and whose meter counts the packing. */
  context?: ComputeContext;
}

/**
 * The gradients' way to their shard owners, bucketed so a step costs a few reduce-scatters over the
 * mesh and one all-gather per distinct replica group, instead of a round of messages per variable
 * (latency, not bandwidth, dominates small models). (The parameters' way back: parameter-gather.ts.)
 * Reduce buckets hold the variables in reverse order, the order backward completes their gradients,
 * so the last layers' bucket can be on the wire while the first layers' backward runs (as DDP does).
 * Every element keeps its owner, so the ring adds its terms in the same order as with one bucket:
 * the sums are the same bits. Buffers are allocated once (on SharedArrayBuffers, which a communication
 * thread reads in place) and reused: fresh multi-megabyte arrays every step cost more in page faults
 * than the transfers themselves. Results are valid until the next call.
 */
export class ExchangeBuckets {
  private readonly me: number;
  private readonly single: boolean;
  private readonly reduceBuckets: ReduceBucket[];
  /** Per variable: its reduce bucket. */
  private readonly bucketOf: number[];
  /** This device's reduce-scatter results, bucket after bucket, in the optimizer's heap so its kernel reads them in place. */
  private readonly mine: HostBuffer;
  /** Per variable: where its piece starts in `mine`, and its length. */
  private readonly mineOffsets: number[];
  private readonly pieceSizes: number[];
  /** Per variable: the runs of its full gradient that go into its bucket's packed buffer, for every device. */
  private readonly packRuns: PackRun[][];
  private readonly early: Collectives | undefined;
  /** Which variables' gradients sink() already took from the backend this step (into `packed`, or landed). */
  private readonly packedNow: boolean[];
  /**
   * One device: where each gradient lands, in the optimizer's heap (the gradient is already the sum).
   * Allocated on first use: a device that keeps its gradients in the backend's heap never lands any.
   */
  private readonly landing: HostBuffer[];
  private readonly replicaBuckets: Bucket[];
  /** Variables in a replica bucket: their shard, rebuilt from the group's pieces. */
  private readonly replicaShards = new Map<number, Float32Array>();
  /** Pooled mode (packed-pool.ts): the buffers buckets take before packing; null: one buffer per bucket. */
  private readonly pool: PackedPool | null;
  private readonly context: ComputeContext;

  constructor(
    private readonly plans: ExchangePlan[],
    deviceId: number,
    options: ExchangeBucketsOptions = {},
  ) {
    const devices = plans[0]?.devices ?? [deviceId];
    this.me = devices.indexOf(deviceId);
    this.single = devices.length === 1;
    const noReduce = this.single;
    this.early = options.collectives;
    this.context = options.context ?? defaultContext;
    const pooled = (options.pooledBuffers ?? 0) > 0;
    this.reduceBuckets = noReduce
      ? []
      : reduceBucketsOf(plans, options.buckets ?? bucketsBySize(plans, options.bucketBytes ?? DEFAULT_BUCKET_BYTES), !pooled);
    const largest = Math.max(0, ...this.reduceBuckets.map((b) => sum(b.chunkSizes)));
    this.pool = pooled ? new PackedPool(options.pooledBuffers!, largest) : null;
    this.bucketOf = plans.map(() => -1);
    this.reduceBuckets.forEach((b, j) => b.vars.forEach((k) => (this.bucketOf[k] = j)));
    this.pieceSizes = plans.map((p) => p.pieces[this.me]!.size);
    this.mineOffsets = plans.map(() => 0);
    let at = 0;
    for (const b of this.reduceBuckets) {
      b.mineOffset = at;
      for (const k of b.vars) ((this.mineOffsets[k] = at), (at += this.pieceSizes[k]!));
    }
    this.mine = this.context.heap.allocHost('float32', at);
    this.packRuns = noReduce ? [] : packRunsOf(plans, this.reduceBuckets);
    this.packedNow = plans.map(() => false);
    this.landing = [];
    this.replicaBuckets = groupBuckets(
      plans,
      (p) => (p.replicas.length > 1 ? p.replicas : null),
      (p) => p.replicaPieceSizes,
    );
    for (const b of this.replicaBuckets)
      b.indices.forEach((k) => this.replicaShards.set(k, new Float32Array(sum(plans[k]!.replicaPieceSizes))));
  }

  /** Bytes of the packed buffers (the whole model's gradients, or the pool's). */
  get packedBytes(): number {
    if (this.pool) return this.pool.bytes;
    return this.reduceBuckets.reduce((a, b) => a + 4 * sum(b.chunkSizes), 0);
  }

  /**
   * Pooled mode: gives the buckets of variables `vars` a packed buffer before sink() packs them,
   * waiting for the oldest reduce-scatter still holding one to finish if the pool is empty.
   */
  async ready(vars: readonly number[]): Promise<void> {
    if (!this.pool) return;
    for (const b of new Set(vars.map((k) => this.reduceBuckets[this.bucketOf[k]!]).filter((x) => x !== undefined)))
      await this.pool.take(b);
  }

  /**
   * Takes variable k's full gradient while it is still a view of the backend's memory: one device
   * copies it to its landing buffer (returned, the gradient to use); several pack it for the
   * reduce-scatter straight away (null: reduce() need not pack it again).
   */
  sink(k: number, view: Float32Array): Float32Array | null {
    if (this.single) {
      const out = (this.landing[k] ??= this.context.heap.allocHost(
        'float32',
        size(this.plans[k]!.globalShape),
      )).array() as Float32Array;
      out.set(view);
      this.packedNow[k] = true;
      return out;
    }
    this.pack(k, view);
    this.packedNow[k] = true;
    const b = this.reduceBuckets[this.bucketOf[k]!]!;
    if (--b.waiting === 0 && this.early) this.startReduce(b, this.early);
    return null;
  }

  /**
   * Each variable's shard of the global gradient sum, from this device's full-size gradients (those
   * not already packed by sink()). Results are valid until the next call (the shards view heap memory).
   */
  async reduce(grads: (Float32Array | undefined)[], c: Collectives): Promise<Float32Array[]> {
    if (this.single) {
      // One device: its gradient is the sum. Landed ones are viewed afresh: the optimizer's heap may
      // have grown since sink() (views of a grown memory are detached).
      const out = grads.map((g, k) =>
        this.packedNow[k] ? (this.landing[k]!.array() as Float32Array) : (g ?? missingGrad(this.plans[k]!.path)),
      );
      this.packedNow.fill(false);
      return out;
    }
    // Buckets sink() did not complete start now, in bucket order: the same order on every device.
    for (const b of this.reduceBuckets) {
      for (const k of b.vars) {
        if (this.packedNow[k]) continue;
        const p = this.plans[k]!;
        this.pack(k, grads[k] ?? missingGrad(p.path));
        this.context.copies.count('pack', 4 * size(p.globalShape));
      }
      if (!b.op) this.startReduce(b, c);
    }
    const started = this.reduceBuckets.map((b) => b.op!);
    const views = await Promise.all(started);
    await this.pool?.drain();
    for (const b of this.reduceBuckets) ((b.op = null), (b.waiting = b.vars.length));
    this.packedNow.fill(false);
    const mine = this.mine.array() as Float32Array;
    // Nothing allocates heap memory while the collectives run; if that ever changed, the sums would
    // have gone to a detached view: fail loudly rather than train on stale numbers.
    if (views.some((v) => v.buffer !== mine.buffer)) throw new Error('internal: the wasm heap grew during the reduce-scatter');
    const shards = this.pieceSizes.map((n, k) => mine.subarray(this.mineOffsets[k]!, this.mineOffsets[k]! + n));
    for (const b of this.replicaBuckets) {
      b.indices.forEach((k, j) => b.send.set(shards[k]!, b.sendOffsets[j]!));
      this.context.copies.count('pack', b.send.byteLength + b.all.byteLength); // packed here, unpacked below
      await c.allGather(b.send, b.memberSizes, b.group, b.all);
      // Member-major: member m's pieces of every variable in the bucket; a shard is its pieces in member order.
      let at = 0;
      const filled = b.indices.map(() => 0);
      b.group.forEach((_, m) =>
        b.indices.forEach((k, j) => {
          const n = this.plans[k]!.replicaPieceSizes[m]!;
          this.replicaShards.get(k)!.set(b.all.subarray(at, at + n), filled[j]);
          filled[j]! += n;
          at += n;
        }),
      );
    }
    return shards.map((s, k) => this.replicaShards.get(k) ?? s);
  }

  private pack(k: number, grad: Float32Array): void {
    const packed = this.reduceBuckets[this.bucketOf[k]!]!.packed;
    if (!packed) throw new Error(`internal: ${this.plans[k]!.path}'s gradient bucket has no buffer (call ready() first)`);
    for (const r of this.packRuns[k]!) packed.set(grad.subarray(r.from, r.from + r.length), r.to);
  }

  /** Starts bucket b's reduce-scatter into its part of `mine` (a fresh heap view: the heap may have grown since setup). */
  private startReduce(b: ReduceBucket, c: Collectives): void {
    const out = (this.mine.array() as Float32Array).subarray(b.mineOffset, b.mineOffset + b.chunkSizes[this.me]!);
    const packed = b.packed!.subarray(0, sum(b.chunkSizes));
    const op = c.reduceScatterSum(packed, b.chunkSizes, undefined, out);
    awaitedLater(op); // in reduce(); a failure while backward still runs must not go unhandled
    b.op = op;
    this.pool?.started(b);
  }
}

/** Variables whose gradients travel in one reduce-scatter. */
interface ReduceBucket {
  /** Variable indices, in the order backward completes them (reverse variable order). */
  vars: number[];
  /** Device-major, then the bucket's variables: device i's part of variable k is piece i of k's shard (pooled: null until ready()). */
  packed: Float32Array | null;
  /** Elements of `packed` per device. */
  chunkSizes: number[];
  /** Where this device's result starts in `mine`. */
  mineOffset: number;
  /** Gradients sink() has still to pack this step. */
  waiting: number;
  /** This step's reduce-scatter, once started. */
  op: Promise<ReduceArray> | null;
}

/** Reverse variable order, a bucket closing once it holds `capBytes`. */
function bucketsBySize(plans: ExchangePlan[], capBytes: number): number[][] {
  const groups: number[][] = [];
  let bytes = Infinity;
  for (let k = plans.length - 1; k >= 0; k--) {
    if (bytes >= capBytes) (groups.push([]), (bytes = 0));
    groups[groups.length - 1]!.push(k);
    bytes += 4 * size(plans[k]!.globalShape);
  }
  return groups;
}

function reduceBucketsOf(plans: ExchangePlan[], groups: number[][], ownBuffers: boolean): ReduceBucket[] {
  return groups
    .filter((vars) => vars.length > 0)
    .map((vars) => {
      const chunkSizes = plans[0]!.devices.map((_, i) => vars.reduce((a, k) => a + plans[k]!.pieces[i]!.size, 0));
      const packed = ownBuffers ? sharedFloat32(sum(chunkSizes)) : null;
      return { vars, packed, chunkSizes, mineOffset: 0, waiting: vars.length, op: null };
    });
}

/** `length` elements of a variable's full gradient at `from` go to `to` in the packed buffer. */
interface PackRun {
  from: number;
  to: number;
  length: number;
}

/**
 * Each bucket's packed layout: device-major, then the bucket's variables; device i's part of variable
 * k is piece i of the shard device i holds. Computed once as runs of the full gradient, so packing
 * allocates nothing.
 */
function packRunsOf(plans: ExchangePlan[], buckets: ReduceBucket[]): PackRun[][] {
  const runs: PackRun[][] = plans.map(() => []);
  for (const bucket of buckets) {
    let offset = 0;
    plans[0]!.devices.forEach((d, i) =>
      bucket.vars.forEach((k) => {
        const p = plans[k]!;
        const { start, size: n } = p.pieces[i]!;
        // The shard's runs, clipped to the piece [start, start + n) of the shard.
        for (const r of shardRuns(p.globalShape, p.slicesOf.get(d)!)) {
          const a = Math.max(start, r.localOffset);
          const b = Math.min(start + n, r.localOffset + r.length);
          if (a < b) runs[k]!.push({ from: r.globalOffset + (a - r.localOffset), to: offset + (a - start), length: b - a });
        }
        offset += n;
      }),
    );
  }
  return runs;
}

function missingGrad(path: string): never {
  throw new Error(`internal: no gradient for ${path}`);
}
