/**
 * The parameter all-gather after each update: every device rebuilds the full value of each sharded
 * variable from its owners' updated shards. An owner group's variables travel in buckets of about
 * 1 MiB in forward order, so the first layers' values come first. start() packs and sends them all
 * (the step does not wait); whatever reads the full values waits only for the bucket it needs
 * (finishSync, during the next forward, on a communication thread's collectives) or for all (finish).
 */
import type { Collectives, ReduceArray } from '../core/collectives/types';
import type { ExchangePlan } from '../core/collectives/exchange-plan';
import { insertShard } from '../core/dtensor/shard';
import type { CopyMeter } from '../core/metering/copy-meter';
import { defaultContext } from '../core/context';
import { DEFAULT_BUCKET_BYTES } from './gradient-exchange';
import { groupBuckets, type Bucket } from './group-buckets';
import { awaitedLater } from '../core/async/observed';

/** Blocks until an operation of the collectives has settled; throws its error (ThreadedCollectives.waitSync). */
export type WaitSync = (op: Promise<unknown>) => void;

/**
 * Where variable k's full value goes, asked for at the moment of unpacking (a target that is a view
 * of wasm memory goes stale whenever that memory grows).
 */
export type GatherTarget = (k: number) => Float32Array | null;

export class ParameterGather {
  private readonly buckets: Bucket[];
  /** Per variable: its bucket, -1 when this device holds the whole value (nothing to gather). */
  private readonly bucketOf: number[];
  /** This round's operation per bucket; null once unpacked (or before the first round). */
  private readonly ops: (Promise<ReduceArray> | null)[];

  constructor(
    private readonly plans: ExchangePlan[],
    bucketBytes = DEFAULT_BUCKET_BYTES,
    private readonly copies: CopyMeter = defaultContext.copies,
  ) {
    this.buckets = groupBuckets(
      plans,
      (p) => (p.replicated ? null : p.shardOwners),
      (p) => p.shardSizes,
      bucketBytes,
    );
    this.bucketOf = plans.map(() => -1);
    this.buckets.forEach((b, j) => b.indices.forEach((k) => (this.bucketOf[k] = j)));
    this.ops = this.buckets.map(() => null);
  }

  /** Number of all-gathers a round takes. */
  get bucketCount(): number {
    return this.buckets.length;
  }

  /**
   * Packs every bucket's shards (`shardOf(k)`: variable k's updated shard, a fresh view) and starts
   * its all-gather, in bucket order (the same on every device). The previous round must be finished.
   */
  start(shardOf: (k: number) => Float32Array, c: Collectives): void {
    if (this.ops.some((op) => op !== null)) throw new Error('internal: a parameter gather started before the last one finished');
    this.buckets.forEach((b, j) => {
      b.indices.forEach((k, i) => b.send.set(shardOf(k), b.sendOffsets[i]!));
      this.copies.count('pack', b.send.byteLength + b.all.byteLength); // packed now, unpacked when waited for
      const op = b.group.length === 1 ? Promise.resolve(b.send) : c.allGather(b.send, b.memberSizes, b.group, b.all);
      awaitedLater(op); // by finish()/finishSync()
      this.ops[j] = op;
    });
  }

  /** Variable k's bucket is in `fulls` (or k needs no gather): nothing to wait for. */
  ready(k: number): boolean {
    const j = this.bucketOf[k]!;
    return j < 0 || this.ops[j] === null;
  }

  /** Waits for every bucket still travelling and unpacks it into each variable's target. */
  async finish(target: GatherTarget): Promise<void> {
    for (let j = 0; j < this.buckets.length; j++) {
      const op = this.ops[j];
      if (!op) continue;
      this.ops[j] = null;
      this.unpack(j, (await op) as Float32Array, target);
    }
  }

  /** Blocks until variable k's bucket has arrived and unpacks it into its variables' targets. */
  finishSync(k: number, target: GatherTarget, waitSync: WaitSync): void {
    const j = this.bucketOf[k]!;
    const op = j < 0 ? null : this.ops[j];
    if (!op) return;
    this.ops[j] = null;
    const b = this.buckets[j]!;
    if (b.group.length > 1) waitSync(op); // a group of one sent nothing: its values are in `send`
    this.unpack(j, b.group.length === 1 ? b.send : b.all, target);
  }

  private unpack(j: number, all: Float32Array, target: GatherTarget): void {
    const b = this.buckets[j]!;
    let at = 0;
    b.group.forEach((d, m) =>
      b.indices.forEach((k) => {
        const p = this.plans[k]!;
        const n = p.shardSizes[m]!;
        insertShard(target(k)!, p.globalShape, p.slicesOf.get(d)!, all.subarray(at, at + n));
        at += n;
      }),
    );
  }
}
