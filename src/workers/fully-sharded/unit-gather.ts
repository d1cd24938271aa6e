/**
 * A fully sharded step's parameter all-gathers: one unit at a time (core/models/units.ts), one
 * all-gather per distinct owner group of the unit's sharded variables, all landing in one staging
 * buffer sized for the largest unit. A worker therefore holds, besides its shards, the staging buffer
 * (the unit being prefetched) and the tensors of the unit computing: about two units' full parameters
 * (docs/architecture.md, "The memory model").
 */
import type { Collectives, ReduceArray } from '../../core/collectives/types';
import type { ExchangePlan } from '../../core/collectives/exchange-plan';
import { insertShard } from '../../core/dtensor/shard';
import type { CopyMeter } from '../../core/metering/copy-meter';
import { defaultContext } from '../../core/context';
import { awaitedLater } from '../../core/async/observed';
import { sharedFloat32 } from '../transport/shared-arrays';

/** The variables of one unit that share an owner group, and where their shards sit in the staging buffers. */
interface GroupGather {
  group: readonly number[];
  indices: number[];
  /** Elements each member sends (all its shards of these variables). */
  memberSizes: number[];
  /** Where this group's part starts in the send and receive staging buffers. */
  sendAt: number;
  allAt: number;
  /** Per variable of `indices`: where its shard starts in this device's send part. */
  sendOffsets: number[];
}

export class UnitGather {
  private readonly units: GroupGather[][];
  private readonly send: Float32Array;
  private readonly all: Float32Array;
  /** The unit whose gather is in flight, and its operations. */
  private pending: { unit: number; ops: Promise<ReduceArray>[] } | null = null;

  /** `unitVars`: each unit's variable indices (into `plans`); `copies`: the trainer's meter (packing is counted there). */
  constructor(
    private readonly plans: ExchangePlan[],
    unitVars: number[][],
    private readonly copies: CopyMeter = defaultContext.copies,
  ) {
    this.units = unitVars.map((vars) => planUnit(plans, vars));
    const sendSize = Math.max(0, ...this.units.map((gs) => gs.reduce((a, g) => a + mySize(g, plans), 0)));
    const allSize = Math.max(0, ...this.units.map((gs) => gs.reduce((a, g) => a + sum(g.memberSizes), 0)));
    this.send = sharedFloat32(sendSize);
    this.all = sharedFloat32(allSize);
  }

  /** Bytes of the staging buffers (for the memory figures). */
  get stagingBytes(): number {
    return this.send.byteLength + this.all.byteLength;
  }

  /** Whether unit u has sharded variables to gather. */
  needsGather(u: number): boolean {
    return this.units[u]!.length > 0;
  }

  /** The unit whose gather is in flight, if any. */
  get inFlight(): number | null {
    return this.pending?.unit ?? null;
  }

  /**
   * Packs this device's shards of unit u (`shardOf(k)`: a fresh view) and starts its all-gathers, in
   * group order (the same on every device). The staging buffers must be free: the last unit unpacked.
   */
  start(u: number, shardOf: (k: number) => Float32Array, c: Collectives): void {
    if (this.pending) throw new Error(`internal: unit ${u}'s gather started while unit ${this.pending.unit}'s is in flight`);
    const ops = this.units[u]!.map((g) => {
      const me = g.group.indexOf(this.plans[g.indices[0]!]!.deviceId);
      g.indices.forEach((k, i) => this.send.set(shardOf(k), g.sendAt + g.sendOffsets[i]!));
      const chunk = this.send.subarray(g.sendAt, g.sendAt + g.memberSizes[me]!);
      const out = this.all.subarray(g.allAt, g.allAt + sum(g.memberSizes));
      this.copies.count('pack', chunk.byteLength + out.byteLength); // packed now, unpacked when finished
      const op = c.allGather(chunk, g.memberSizes, g.group, out);
      awaitedLater(op); // by finish()
      return op;
    });
    this.pending = { unit: u, ops };
  }

  /**
   * Waits for unit u's gather and writes every sharded variable's full value into `target(k)`, a view
   * taken right before use (of a fresh tensor's memory, which an allocation may move). Returns the
   * milliseconds spent waiting for the bytes (the exposed communication).
   */
  async finish(u: number, target: (k: number) => Float32Array): Promise<number> {
    if (this.pending?.unit !== u) throw new Error(`internal: unit ${u}'s gather was not started`);
    const { ops } = this.pending;
    this.pending = null;
    const t0 = performance.now();
    await Promise.all(ops);
    const waited = performance.now() - t0;
    for (const g of this.units[u]!) {
      let at = g.allAt;
      g.group.forEach((d, m) =>
        g.indices.forEach((k) => {
          const p = this.plans[k]!;
          const n = p.shardSizes[m]!;
          insertShard(target(k), p.globalShape, p.slicesOf.get(d)!, this.all.subarray(at, at + n));
          at += n;
        }),
      );
    }
    return waited;
  }

  /** Waits for a gather still in flight (its values are not needed): before closing the links. */
  async settle(): Promise<void> {
    const ops = this.pending?.ops ?? [];
    this.pending = null;
    await Promise.all(ops);
  }
}

function planUnit(plans: ExchangePlan[], vars: number[]): GroupGather[] {
  const byGroup = new Map<string, number[]>();
  for (const k of vars) {
    const p = plans[k]!;
    if (p.replicated) continue;
    const key = p.shardOwners.join(',');
    byGroup.set(key, [...(byGroup.get(key) ?? []), k]);
  }
  let sendAt = 0;
  let allAt = 0;
  return [...byGroup.values()].map((indices) => {
    const first = plans[indices[0]!]!;
    const group = first.shardOwners;
    const me = group.indexOf(first.deviceId);
    const memberSizes = group.map((_, m) => indices.reduce((a, k) => a + plans[k]!.shardSizes[m]!, 0));
    const mine = indices.map((k) => plans[k]!.shardSizes[me]!);
    const g = { group, indices, memberSizes, sendAt, allAt, sendOffsets: mine.map((_, i) => sum(mine.slice(0, i))) };
    sendAt += memberSizes[me]!;
    allAt += sum(memberSizes);
    return g;
  });
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const mySize = (g: GroupGather, plans: ExchangePlan[]) => g.memberSizes[g.group.indexOf(plans[g.indices[0]!]!.deviceId)]!;
