/**
 * Adadelta's state made visible, measured by each worker on the shards it owns every
 * `optimizerStatsEvery` steps: the parameters are copied before the update, the per-variable sums and
 * sketches (core/statistics/adadelta-state.ts) are taken after it, and one all-reduce adds every
 * device's records, so each device (and the report device 0 sends) holds the unsharded figures.
 */
import { isPrimaryReplica } from '../core/dtensor/shard';
import type { Collectives } from '../core/collectives/types';
import type { Adadelta } from '../core/optimizers/adadelta';
import type { ShardedVariable } from '../core/variables/sharded-variable';
import { RECORD_LENGTH, addShard, figuresOf } from '../core/statistics/adadelta-state';
import type { OptimizerVariableStats } from '../shared/api';
import { sharedFloat64 } from './transport/shared-arrays';

export interface ProbedVariable {
  path: string;
  variable: ShardedVariable;
}

/** What a due step carries from before the update to after it. */
export interface StatsProbe {
  /** Local sums and sketches after the update (call once the optimizer has applied the step). */
  measure(): Float64Array;
}

export class OptimizerStats {
  private record: Float64Array | undefined;

  constructor(
    private readonly vars: readonly ProbedVariable[],
    private readonly optimizer: Adadelta,
    private readonly every: number,
    private readonly deviceId: number,
  ) {}

  /** Whether 0-based step `step` is measured (the figures are labelled step + 1, as its metric point). */
  due(step: number): boolean {
    return this.every > 0 && (step + 1) % this.every === 0;
  }

  /** Copies the owned parameter shards before the update; `measure` then fills this device's record. */
  begin(): StatsProbe {
    const owned = this.vars.filter((v) => isPrimaryReplica(v.variable.layout, this.deviceId));
    const before = owned.map((v) => v.variable.readLocal());
    return {
      measure: () => {
        // On a SharedArrayBuffer: the communication thread sums it in place. Reused from step to step.
        const record = (this.record ??= sharedFloat64(this.vars.length * RECORD_LENGTH));
        record.fill(0);
        owned.forEach((v, i) => {
          const { accumulatedGrad, accumulatedDeltaVar } = this.optimizer.slotsOf(v.variable);
          const shard = {
            param: v.variable.readLocal(),
            paramBefore: before[i]!,
            accumulatedGrad: accumulatedGrad.readLocal(),
            accumulatedDelta: accumulatedDeltaVar.readLocal(),
          };
          addShard(shard, this.optimizer.epsilon, record, this.vars.indexOf(v) * RECORD_LENGTH);
        });
        return record;
      },
    };
  }

  /** Adds every device's records (every device calls this at the same step) and reads the figures. */
  async reduce(record: Float64Array, collectives: Collectives, meshSize: number): Promise<OptimizerVariableStats[]> {
    if (meshSize > 1) await collectives.allReduceSum(record);
    return this.vars.map((v, i) => figuresOf(v.path, record, i * RECORD_LENGTH));
  }
}
