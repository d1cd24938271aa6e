/**
 * A step's whole gradient exchange: dense gradients through the layout-aware buckets (reduce-scatter to
 * the shard owners), sparse Embedding gradients all-gathered as ids and rows (sparse-exchange.ts), and
 * the parameter all-gather after the update (parameter-gather.ts).
 */
import type { Collectives } from '../core/collectives/types';
import {
  IndexedSlices,
  deduplicateDivided,
  deduplicateSparse,
  dividedValues,
  type HostSparse,
} from '../core/optimizers/indexed-slices';
import type { GradSums } from '../core/models/index';
import { ExchangeBuckets } from './gradient-exchange';
import { ParameterGather } from './parameter-gather';
import type { ExchangePlan } from '../core/collectives/exchange-plan';
import { allGatherSparse } from './sparse-exchange';
import { addSquares, divideInPlaceF32 } from '../core/optimizers/host-loops';
import { defaultContext, type ComputeContext } from '../core/context';
import type { HostHeap } from '../core/wasm/heap';

/** A variable's summed gradient after the exchange: its dense shard, or every device's sparse rows (global ids). */
export type ExchangedGrad = Float32Array | HostSparse;

/**
 * A fully sharded step (docs/architecture.md, "The memory model"): each unit's gradients are one
 * reduce bucket, started as soon as the unit's backward is done, in two pooled buffers; parameters
 * are gathered unit by unit before use (fully-sharded/), not after the update.
 */
export interface FullyShardedExchange {
  /** Each unit's variable indices (into the plans), in forward order. */
  units: number[][];
}

export class StepExchange {
  private readonly dense: number[];
  private readonly sparse: number[];
  private readonly reduceBuckets: ExchangeBuckets;
  /** The parameters' way back after the update (null when fully sharded: gathered per unit instead). */
  readonly gather: ParameterGather | null;
  private readonly denseIndexOf: Map<string, number>;

  /**
   * `collectives`: given, each reduce bucket starts as soon as gradSink has its last gradient.
   * `context`: the trainer's; gradients land in its heap, copies are counted on its meter.
   */
  constructor(
    private readonly plans: ExchangePlan[],
    sparse: readonly boolean[],
    deviceId: number,
    collectives?: Collectives,
    context: ComputeContext = defaultContext,
    fullySharded?: FullyShardedExchange,
  ) {
    this.dense = plans.flatMap((_, i) => (sparse[i] ? [] : [i]));
    this.sparse = plans.flatMap((_, i) => (sparse[i] ? [i] : []));
    const denseOf = new Map(this.dense.map((i, k) => [i, k]));
    // Last unit first: the order backward completes them.
    const buckets = fullySharded?.units.map((vars) => vars.flatMap((i) => (denseOf.has(i) ? [denseOf.get(i)!] : []))).reverse();
    this.reduceBuckets = new ExchangeBuckets(
      this.dense.map((i) => plans[i]!),
      deviceId,
      buckets ? { collectives, context, buckets, pooledBuffers: 2 } : { collectives, context },
    );
    this.gather = fullySharded ? null : new ParameterGather(plans, undefined, context.copies);
    this.denseIndexOf = new Map(this.dense.map((i, k) => [plans[i]!.path, k]));
  }

  /** Fully sharded: before a unit's gradients go to gradSink, their bucket takes a pooled buffer (may wait). */
  async ready(paths: readonly string[]): Promise<void> {
    await this.reduceBuckets.ready(paths.flatMap((p) => (this.denseIndexOf.has(p) ? [this.denseIndexOf.get(p)!] : [])));
  }

  /** Bytes of the reduce-scatter's packed buffers. */
  get packedBytes(): number {
    return this.reduceBuckets.packedBytes;
  }

  /**
   * lossAndGradsSum's gradSink: each dense gradient goes where the exchange needs it while it is still
   * in the backend's memory (one copy instead of a download and a pack).
   */
  readonly gradSink = (path: string, view: Float32Array): Float32Array | null => {
    const k = this.denseIndexOf.get(path);
    if (k === undefined) throw new Error(`internal: ${path} has no dense gradient in this exchange`);
    return this.reduceBuckets.sink(k, view);
  };

  /** Each variable's global gradient sum: the dense shard this device owns, or all sparse rows. */
  async reduce(sums: GradSums, c: Collectives): Promise<ExchangedGrad[]> {
    const out: ExchangedGrad[] = new Array(this.plans.length);
    const dense = await this.reduceBuckets.reduce(
      this.dense.map((i) => sums.grads.get(this.plans[i]!.path)),
      c,
    );
    this.dense.forEach((i, k) => (out[i] = dense[k]!));
    if (this.sparse.length > 0) {
      const local = this.sparse.map((i) => sums.sparse?.get(this.plans[i]!.path) ?? missing(this.plans[i]!.path));
      const all = await allGatherSparse(local, c);
      this.sparse.forEach((i, k) => (out[i] = all[k]!));
    }
    return out;
  }

  /**
   * Divides every gradient by `total`: dense ones in place (those in `heap` with its SIMD kernel),
   * sparse rows into new values. With `sumRepeatedRows` (the optimizer's
   * sparseRowsSummable: nothing before its de-duplication touches the values) repeated ids are
   * summed in the same pass, with the bits the optimizer's de-duplication would give, which then
   * finds nothing left to do.
   */
  static scale(grads: ExchangedGrad[], total: number, heap?: HostHeap, sumRepeatedRows = false): ExchangedGrad[] {
    return grads.map((g) => {
      if (g instanceof Float32Array) {
        divideInPlaceF32(g, total, heap);
        return g;
      }
      return sumRepeatedRows ? deduplicateDivided(g, total, heap) : { ...g, values: dividedValues(g.values, total) };
    });
  }

  /** What applyGradients takes: dense shards as they are, sparse rows as IndexedSlices over the global shape. */
  optimizerInput(grads: ExchangedGrad[]): (Float32Array | IndexedSlices)[] {
    return grads.map((g, i) => (g instanceof Float32Array ? g : new IndexedSlices(g.values, g.rows, this.plans[i]!.globalShape)));
  }

  /** Σ g² of the sparse gradients' values (float64, in order): scale's divided, de-duplicated rows. */
  static sparseSquares(grads: ExchangedGrad[]): number {
    let s = 0;
    for (const g of grads) if (!(g instanceof Float32Array)) s = addSquares(s, g.values);
    return s;
  }

  /**
   * Σ g² of the gradients this device reports for (the gradient-norm figure): dense shards where
   * `owns(i)`; the sparse ones, identical on every device, on the first device only, ids summed.
   */
  sumOfSquares(grads: ExchangedGrad[], owns: (i: number) => boolean, firstDevice: boolean): number {
    let s = 0;
    for (let i = 0; i < grads.length; i++) {
      const g = grads[i]!;
      const values = g instanceof Float32Array ? (owns(i) ? g : null) : firstDevice ? deduplicateSparse(g).values : null;
      if (values) s = addSquares(s, values);
    }
    return s;
  }
}

function missing(path: string): never {
  throw new Error(`internal: no sparse gradient for ${path}`);
}
