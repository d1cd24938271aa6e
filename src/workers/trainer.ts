/**
 * One device's share of a data-parallel, layout-sharded training run (SPMD: every device runs this
 * same code on its own batch slice and its own shards). See DESIGN.md "One training step".
 */
import type { Collectives } from '../core/collectives/types';
import { Mesh } from '../core/dtensor/mesh';
import { Layout } from '../core/dtensor/layout';
import { LayoutMap } from '../core/dtensor/layout-map';
import { isPrimaryReplica } from '../core/dtensor/shard';
import { Adadelta } from '../core/optimizers/adadelta';
import { IterationsVariable } from '../core/optimizers/base-optimizer';
import { ShardedVariable } from '../core/variables/sharded-variable';
import { buildModel, initParams, lossAndGradsSum, type Model } from '../core/models/index';
import { gatherRows, hashSeed, localBatchIndices, localSlice, type Dataset } from '../core/data/index';
import { loadDatasetSync } from '../datasets/load';
import { datasetSourceOf } from '../datasets/source';
import { planExchange, type ExchangePlan } from './gradient-exchange';
import { StepExchange } from './step-exchange';
import type { ShardRecord, StepReport, TrainSetup } from '../shared/worker-protocol';
import type { DataSource } from '../shared/api';

interface Param {
  path: string;
  variable: ShardedVariable;
  plan: ExchangePlan;
  /** The full value used by forward/backward; for replicated layouts the variable's own buffer. */
  full: Float32Array | null;
}

export class DeviceTrainer {
  private readonly params: Param[] = [];
  readonly optimizer: Adadelta;
  private readonly rank: number;
  private readonly buckets: StepExchange;
  /** Reused copies of this device's updated shards for the parameter all-gather. */
  private readonly shardCopies: Float32Array[];
  lastStepMs = 0;

  private constructor(
    readonly deviceId: number,
    readonly mesh: Mesh,
    private readonly model: Model,
    private readonly dataset: Dataset,
    private readonly setup: TrainSetup,
    private readonly collectives: Collectives,
  ) {
    this.rank = mesh.deviceIds.indexOf(deviceId);
    const layouts = layoutMapOf(setup.layouts, mesh);
    const initial = initParams(model, setup.seed);
    for (const p of model.params) {
      const layout = layouts.layoutFor(p.path, p.shape.length);
      const variable = new ShardedVariable({ name: p.path, globalShape: p.shape, layout, deviceId, initialValue: initial.get(p.path)! });
      const plan = planExchange(p.path, p.shape, layout, deviceId);
      this.params.push({ path: p.path, variable, plan, full: plan.replicated ? null : initial.get(p.path)! });
    }
    this.buckets = new StepExchange(this.params.map((p) => p.plan), model.params.map((p) => !!p.sparse), deviceId);
    this.shardCopies = this.params.map((p) => new Float32Array(p.full ? p.variable.localSize : 0));
    this.optimizer = Adadelta.fromConfig(setup.optimizer, { mesh, collectives });
    this.optimizer.build(this.params.map((p) => p.variable));
  }

  static create(deviceId: number, mesh: Mesh, setup: TrainSetup, collectives: Collectives): DeviceTrainer {
    const model = buildModel(setup.model);
    const dataset = loadDatasetSync(datasetSourceOf(setup.data as unknown as DataSource));
    return new DeviceTrainer(deviceId, mesh, model, dataset, setup, collectives);
  }

  get paramCount(): number {
    return this.model.paramCount;
  }

  /** Bytes of this device's parameter shards and optimizer slots (falls as 1/N for sharded layouts). */
  get shardBytes(): number {
    const vars = [...this.params.map((p) => p.variable), ...this.optimizer.variables.filter((v): v is ShardedVariable => v instanceof ShardedVariable)];
    return vars.reduce((a, v) => a + v.localSize * (v.dtype === 'float64' ? 8 : 4), 0);
  }

  /** One global step: local forward/backward, reduce to shard owners, sharded Adadelta, gather params. */
  async step(step: number): Promise<StepReport> {
    const t0 = performance.now();
    const { numExamples } = this.dataset;
    const { globalBatchSize: B, seed } = this.setup;
    const N = this.mesh.size;
    const indices = localBatchIndices(numExamples, B, seed, step, N, this.rank, { shuffle: (this.setup.data as { shuffle?: unknown }).shuffle !== false });
    const { x, y } = gatherRows(this.dataset, indices);
    const offset = localSlice(Math.min(B, numExamples), N, this.rank).start;
    const sums = lossAndGradsSum(this.model, this.fullParams(), x, y, indices.length, { dropoutSeed: hashSeed(seed, step), exampleOffset: offset, scaleLoss: (l) => this.optimizer.scaleLoss(l) });

    const shardGrads = await this.buckets.reduce(sums, this.collectives);
    const metricNames = Object.keys(sums.metricSums).sort();
    const owns = (i: number) => isPrimaryReplica(this.params[i]!.variable.layout, this.deviceId);
    const scalars = Float64Array.from([sums.count, sums.lossSum, ...metricNames.map((m) => sums.metricSums[m]!), this.buckets.sumOfSquares(shardGrads, owns, this.rank === 0)]);
    if (N > 1) await this.collectives.allReduceSum(scalars);
    const total = scalars[0]!;
    const input = this.buckets.optimizerInput(StepExchange.scale(shardGrads, total)); // mean over the global batch

    await this.optimizer.applyGradients(this.params.map((p, i) => [input[i]!, p.variable] as const));
    await this.gatherParams();

    this.lastStepMs = performance.now() - t0;
    const metrics = Object.fromEntries(metricNames.map((m, i) => [m, scalars[2 + i]! / total]));
    return {
      step, count: total, loss: scalars[1]! / total, metrics, learningRate: this.optimizer.learningRate,
      gradNorm: Math.sqrt(scalars[scalars.length - 1]!) / total / this.optimizer.scaleLoss(1), stepTimeMs: this.lastStepMs,
    };
  }

  private fullParams(): Map<string, Float32Array> {
    return new Map(this.params.map((p) => [p.path, p.full ?? (p.variable.hostArray() as Float32Array)]));
  }

  /** Logical path, shape and specs of every variable exportShards() produces. */
  variableLayouts(): { path: string; dtype: 'float32' | 'float64' | 'int64'; globalShape: number[]; specs: string[] }[] {
    const out = this.params.map((p) => ({ path: `params/${p.path}`, dtype: p.variable.dtype, globalShape: [...p.variable.globalShape], specs: [...p.variable.layout.shardingSpecs] }));
    for (const v of this.optimizer.variables) {
      if (v instanceof IterationsVariable) out.push({ path: 'optimizer/iteration', dtype: 'int64' as never, globalShape: [], specs: [] });
      else out.push({ path: `optimizer/${v.name}`, dtype: v.dtype, globalShape: [...v.globalShape], specs: [...v.layout.shardingSpecs] });
    }
    return out;
  }

  /** Primary-replica shards of parameters and optimizer variables, by logical path. */
  exportShards(): ShardRecord[] {
    const out: ShardRecord[] = [];
    const add = (path: string, v: ShardedVariable) => {
      if (!isPrimaryReplica(v.layout, this.deviceId)) return;
      out.push({ path, dtype: v.dtype, globalShape: [...v.globalShape], specs: [...v.layout.shardingSpecs], slices: v.slices.map((s) => ({ ...s })), data: v.readLocal() });
    };
    this.params.forEach((p) => add(`params/${p.path}`, p.variable));
    for (const v of this.optimizer.variables) {
      if (v instanceof IterationsVariable) {
        if (this.rank === 0) out.push({ path: 'optimizer/iteration', dtype: 'int64', globalShape: [], specs: [], slices: [], data: Float64Array.of(v.value) });
      } else {
        add(`optimizer/${v.name}`, v);
      }
    }
    return out;
  }

  /** Loads this device's shards (already cut to its layouts by the coordinator) and the step counter. */
  async importShards(shards: ShardRecord[], iterations: number): Promise<void> {
    const byPath = new Map(shards.map((s) => [s.path, s]));
    const take = (path: string, size: number) => {
      const s = byPath.get(path);
      if (!s) throw new Error(`checkpoint has no shard for ${path} on device ${this.deviceId}`);
      if (s.data.length !== size) throw new Error(`checkpoint shard ${path} has ${s.data.length} values, device ${this.deviceId} needs ${size}`);
      return s.data;
    };
    for (const p of this.params) p.variable.assignLocal(take(`params/${p.path}`, p.variable.localSize));
    this.optimizer.setWeights(this.optimizer.variables.map((v) => (v instanceof IterationsVariable ? iterations : take(`optimizer/${v.name}`, v.localSize))));
    await this.gatherParams();
  }

  /** Every device's full parameters from the owners' shards (copies: heap views go stale across awaits). */
  private async gatherParams(): Promise<void> {
    this.params.forEach((p, i) => p.full && this.shardCopies[i]!.set(p.variable.hostArray()));
    await this.buckets.gather(this.shardCopies, this.params.map((p) => p.full), this.collectives);
  }
}

function layoutMapOf(layouts: Record<string, string[]>, mesh: Mesh): LayoutMap {
  const map = new LayoutMap(mesh);
  for (const [key, specs] of Object.entries(layouts)) map.set(key, new Layout(specs, mesh));
  return map;
}
