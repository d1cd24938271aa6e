/**
 * A worker's fully sharded step (docs/architecture.md, "The memory model"): forward and backward unit
 * by unit (core/models/unit-step.ts), each unit's parameters gathered just before it runs
 * (unit-params.ts) and each unit's gradients packed into a pooled reduce-scatter buffer and sent to
 * their owners as soon as the unit's backward is done (step-exchange.ts). Between steps the worker
 * holds only its shards.
 */
import type { Collectives } from '../../core/collectives/types';
import type { ComputeContext } from '../../core/context';
import type { ExchangePlan } from '../../core/collectives/exchange-plan';
import type { Model } from '../../core/models/build';
import type { BatchSums, GradSums } from '../../core/models/train';
import type { Labels } from '../../core/models/parts';
import { stepUnits, type StepUnit } from '../../core/models/units';
import { unitEvaluateSums, unitStepSums, type UnitStepOptions } from '../../core/models/unit-step';
import type { DeviceParams } from '../device-params';
import type { StepExchange } from '../step-exchange';
import type { StepProfiler } from '../step-profile';
import { UnitParams } from './unit-params';

/** Rows per evaluation pass: bounds the activations of a large held-out set. */
const EVAL_CHUNK_ROWS = 1024;

/** What a step's own rule fixes: its dropout masks and the loss scale. */
export type StepRule = Pick<UnitStepOptions, 'dropoutSeed' | 'exampleOffset' | 'scaleLoss'>;

export interface FullyShardedOptions {
  reshardAfterForward: boolean;
  profiler: StepProfiler;
}

export class FullyShardedStep {
  readonly units: StepUnit[];
  private readonly params: UnitParams;

  constructor(
    private readonly model: Model,
    values: DeviceParams,
    plans: ExchangePlan[],
    private readonly exchange: StepExchange,
    collectives: Collectives,
    /** The trainer's: the uploads, packing and gradient copies are counted on its meter. */
    private readonly context: ComputeContext,
    private readonly options: FullyShardedOptions,
  ) {
    this.units = stepUnits(model);
    const sparse = new Set(model.params.filter((p) => p.sparse).map((p) => p.path));
    this.params = new UnitParams(this.units, values, plans, sparse, collectives, {
      reshardAfterForward: options.reshardAfterForward,
      waited: (ms) => options.profiler.charge('allGather', ms),
      copies: context.copies,
    });
  }

  /** Each unit's variable indices into the model's parameters, for the exchange's buckets. */
  static unitVars(model: Model): number[][] {
    const indexOf = new Map(model.params.map((p, k) => [p.path, k]));
    return stepUnits(model).map((u) => u.params.map((p) => indexOf.get(p)!));
  }

  /** Bytes of the gather staging buffers and the pooled reduce-scatter buffers. */
  get bufferBytes(): number {
    return this.params.stagingBytes + this.exchange.packedBytes;
  }

  /**
   * Loss and metric sums of the local batch; the dense gradients went to the exchange's gradSink unit
   * by unit, as backward completed them, and are on their way to their owners.
   */
  async step(x: Float32Array, y: Labels, batchSize: number, opts: StepRule): Promise<GradSums> {
    this.params.begin('train');
    try {
      return await unitStepSums(
        this.model,
        this.units,
        x,
        y,
        batchSize,
        {
          acquire: (u, pass) => this.params.acquire(u, pass),
          release: (u, pass) => this.params.release(u, pass),
          beforeGradients: async (u) => {
            const t0 = performance.now();
            await this.exchange.ready(this.units[u]!.params);
            this.options.profiler.charge('reduceScatter', performance.now() - t0);
          },
        },
        { ...opts, gradSink: this.exchange.gradSink, context: this.context },
      );
    } catch (e) {
      await this.params.abandon();
      throw e;
    }
  }

  /** Loss and metric sums over `size` rows read by `rows(indices)`, in chunks, each unit gathered per chunk. */
  async evaluate(
    rows: (indices: Uint32Array) => { x: Float32Array; y: Labels },
    start: number,
    size: number,
  ): Promise<BatchSums> {
    const metricSums: Record<string, number> = Object.fromEntries(this.model.metrics.map((m) => [m, 0]));
    const total: BatchSums = { count: 0, lossSum: 0, metricSums };
    for (let at = start; at < start + size; at += EVAL_CHUNK_ROWS) {
      const n = Math.min(EVAL_CHUNK_ROWS, start + size - at);
      const { x, y } = rows(Uint32Array.from({ length: n }, (_, i) => at + i));
      this.params.begin('evaluate');
      let part: BatchSums;
      try {
        part = await unitEvaluateSums(this.model, this.units, x, y, n, this.params, this.context.copies);
      } catch (e) {
        await this.params.abandon();
        throw e;
      }
      total.count += part.count;
      total.lossSum += part.lossSum;
      for (const m of Object.keys(metricSums)) metricSums[m]! += part.metricSums[m]!;
    }
    return total;
  }

  /** Waits for a gather still in flight (shutdown, before the links close). */
  async settle(): Promise<void> {
    await this.params.abandon();
  }
}
