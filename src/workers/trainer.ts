/**
 * One device's share of a data-parallel, layout-sharded training run (SPMD: every device runs this
 * same code on its own batch slice and its own shards). See docs/architecture.md, "One training step".
 */
import type { Collectives } from '../core/collectives/types';
import type * as tf from '@tensorflow/tfjs-core';
import { type Mesh } from '../core/dtensor/mesh';
import { Layout } from '../core/dtensor/layout';
import { LayoutMap } from '../core/dtensor/layout-map';
import { isPrimaryReplica } from '../core/dtensor/shard';
import type { ShardSource } from './shard-transfer';
import { Adadelta } from '../core/optimizers/adadelta';
import { IterationsVariable } from '../core/optimizers/base-optimizer';
import { ShardedVariable, type Storage } from '../core/variables/sharded-variable';
import { buildModel, initParams, lossAndGradsSum, type GradSums, type Model, type ParamValue } from '../core/models/index';
import { initShard } from '../core/models/init';
import { globalBatchIndices, hashSeed, localSlice, type RowSource } from '../core/data/index';
import { openRunRows } from '../datasets/run-rows';
import { evaluateSlice } from '../core/evaluation/evaluate-rows';
import { planExchange, type ExchangePlan } from '../core/collectives/exchange-plan';
import { StepExchange } from './step-exchange';
import { DeviceParams } from './device-params';
import { FullyShardedStep } from './fully-sharded/sharded-step';
import { StepProfiler } from './step-profile';
import { sharedFloat64 } from './transport/shared-arrays';
import type { EvalReport, ShardRecord, StepReport, TrainSetup, VariableLayout } from '../shared/worker-protocol';
import { awaitedLater, settled } from '../core/async/observed';
import { ModelState, syncAllReduce } from './model-state';
import { ComputeContext } from '../core/context';
import { OptimizerStats } from './optimizer-stats';

interface Param {
  path: string;
  variable: ShardedVariable;
  plan: ExchangePlan;
}

export class DeviceTrainer {
  private readonly params: Param[];
  private readonly values: DeviceParams;
  readonly optimizer: Adadelta;
  private readonly rank: number;
  private readonly buckets: StepExchange;
  lastStepMs = 0;
  private scalarBuffer: Float64Array | undefined;
  /** An all-gather started after the last update, until something that reads full parameters waits for it. */
  private gathering = false;
  /** Time per phase and bytes copied, summed over this device's steps (read by stats()). */
  readonly profiler: StepProfiler;
  /** Adadelta's per-variable state every `optimizerStatsEvery` steps (docs/dashboard.md). */
  private readonly stats: OptimizerStats;
  /** Set when fully sharded (docs/architecture.md, "The memory model"): steps gather each unit's parameters before use. */
  private readonly sharded: FullyShardedStep | null;
  /** Non-trainable variables (moving statistics), replicated; and the all-reduce their batch statistics need. */
  private readonly state: ModelState;
  private readonly allReduce: ((data: Float32Array) => void) | undefined;

  private constructor(
    readonly deviceId: number,
    readonly mesh: Mesh,
    private readonly model: Model,
    private readonly dataset: RowSource,
    private readonly validation: RowSource | null,
    private readonly setup: TrainSetup,
    private readonly collectives: Collectives,
    storage: Storage,
    /** The heap of its variables, slots and exchange buffers, and the meter of its copies: this trainer's own. */
    readonly context: ComputeContext,
  ) {
    this.rank = mesh.deviceIds.indexOf(deviceId);
    this.profiler = new StepProfiler(context.copies);
    const layouts = layoutMapOf(setup.layouts, mesh);
    const fullySharded = setup.fullySharded === true;
    const plans = model.params.map((p) => planExchange(p.path, p.shape, layouts.layoutFor(p.path, p.shape.length), deviceId));
    // Fully sharded, a device draws only its shards of the initial values (never the whole model).
    const initial = fullySharded ? null : initParams(model, setup.seed);
    this.values = new DeviceParams(
      model.params.map((p, i) => ({
        path: p.path,
        shape: p.shape,
        layout: plans[i]!.layout,
        initial: initial?.get(p.path) ?? initShard(p, setup.seed, plans[i]!.slicesOf.get(deviceId)!),
        initialIsLocal: !initial,
        replicated: plans[i]!.replicated,
      })),
      deviceId,
      storage,
      context,
      fullySharded,
    );
    this.params = model.params.map((p, i) => ({ path: p.path, variable: this.values.variables[i]!, plan: plans[i]! }));
    // The exchange starts each bucket's reduce-scatter from backward's gradient hooks.
    this.buckets = new StepExchange(
      plans,
      model.params.map((p) => !!p.sparse),
      deviceId,
      collectives,
      context,
      fullySharded ? { units: FullyShardedStep.unitVars(model) } : undefined,
    );
    this.sharded = fullySharded
      ? new FullyShardedStep(model, this.values, plans, this.buckets, collectives, context, {
          reshardAfterForward: setup.reshardAfterForward !== false,
          profiler: this.profiler,
        })
      : null;
    // Slots take their variable's storage, so with tensor storage the whole update runs as tfjs ops.
    this.optimizer = Adadelta.fromConfig(setup.optimizer, { mesh, collectives, context, emaFirstStep: setup.emaFirstStep });
    this.optimizer.build(this.params.map((p) => p.variable));
    this.stats = new OptimizerStats(this.params, this.optimizer, setup.optimizerStatsEvery ?? 0, deviceId);
    this.state = new ModelState(model, setup.seed);
    const synced = model.keras?.graph.syncsBatch === true;
    this.allReduce = synced ? syncAllReduce(collectives, mesh.size, 'BatchNormalization (global batch statistics)') : undefined;
  }

  /**
   * Builds the model, opens the run's data (streamed from disk where its files allow), draws the
   * parameters. `context`: the worker's, which its ring already counts copies on; without one the
   * trainer makes its own. Everything the trainer creates takes its heap and meter from it.
   */
  static async create(
    deviceId: number,
    mesh: Mesh,
    setup: TrainSetup,
    collectives: Collectives,
    storage: Storage = 'host',
    context: ComputeContext = new ComputeContext(),
  ): Promise<DeviceTrainer> {
    const model = buildModel(setup.model);
    const { train, validation } = await openRunRows(setup.data, setup.seed);
    return new DeviceTrainer(deviceId, mesh, model, train, validation, setup, collectives, storage, context);
  }

  /** The worker log's note on where forward reads the parameters from. */
  get parametersNote(): string {
    return this.values.note;
  }

  /** Where parameter shards and optimizer slots live: 'tensor' on the backend, 'host' in the kernel's heap. */
  get storage(): Storage {
    return this.values.storage;
  }

  get paramCount(): number {
    return this.model.paramCount;
  }

  /** Bytes of this device's parameter shards and optimizer slots (falls as 1/N for sharded layouts). */
  get shardBytes(): number {
    const vars = [
      ...this.params.map((p) => p.variable),
      ...this.optimizer.variables.filter((v): v is ShardedVariable => v instanceof ShardedVariable),
    ];
    return vars.reduce((a, v) => a + v.localSize * (v.dtype === 'float64' ? 8 : 4), 0);
  }

  /** One global step: local forward/backward, reduce to shard owners, sharded Adadelta, gather params. */
  async step(step: number): Promise<StepReport> {
    const t0 = performance.now();
    const prof = this.profiler;
    prof.begin();
    const { numExamples } = this.dataset;
    const { globalBatchSize: B, seed } = this.setup;
    const N = this.mesh.size;
    const global = globalBatchIndices(numExamples, B, seed, step, {
      shuffle: (this.setup.data as { shuffle?: unknown }).shuffle !== false,
    });
    const slice = localSlice(global.length, N, this.rank);
    const indices = global.subarray(slice.start, slice.start + slice.size);
    const { x, y } = this.dataset.readRows(indices);
    const offset = localSlice(Math.min(B, numExamples), N, this.rank).start;
    if (this.sharded) {
      const options = {
        dropoutSeed: hashSeed(seed, step),
        exampleOffset: offset,
        scaleLoss: (l: tf.Scalar) => this.optimizer.scaleLoss(l),
      };
      const sums = await this.sharded.step(x, y, indices.length, options);
      return this.exchangeAndUpdate(step, sums, global.length, t0);
    }
    const values = this.state.withState(await this.stepValues());
    // Each gradient goes from backward straight to the exchange (gradSink).
    const sums = lossAndGradsSum(this.model, values, x, y, indices.length, {
      dropoutSeed: hashSeed(seed, step),
      exampleOffset: offset,
      scaleLoss: (l) => this.optimizer.scaleLoss(l),
      gradSink: this.buckets.gradSink,
      allReduce: this.allReduce,
      context: this.context,
    });
    this.state.apply(sums.stateUpdates);
    return this.exchangeAndUpdate(step, sums, global.length, t0);
  }

  /** The step after backward: gradients to their owners, the update, the gather started, the report. */
  private async exchangeAndUpdate(step: number, sums: GradSums, total: number, t0: number): Promise<StepReport> {
    const prof = this.profiler;
    const N = this.mesh.size;
    prof.mark('compute');
    await this.paramsGathered(); // buckets forward did not read (normally none are left)
    prof.mark('allGather');

    const shardGrads = await this.buckets.reduce(sums, this.collectives);
    prof.mark('reduceScatter');
    const metricNames = Object.keys(sums.metricSums).sort();
    const owns = (i: number) => isPrimaryReplica(this.params[i]!.variable.layout, this.deviceId);
    // On a SharedArrayBuffer (a communication thread sums it in place, without staging copies),
    // allocated once: the last step's all-reduce was awaited before that step returned.
    const scalars = (this.scalarBuffer ??= sharedFloat64(3 + metricNames.length));
    // Σ g² for the gradient norm: the dense shards before scale divides them in place; the sparse rows
    // (first device) from the divided, de-duplicated rows scale makes anyway, times total², rather
    // than de-duplicating every row a second time.
    const rowsSummed = this.optimizer.sparseRowsSummable();
    const squares = this.buckets.sumOfSquares(shardGrads, owns, this.rank === 0 && !rowsSummed);
    // The mean over the global batch (sparse rows summed here when the optimizer would do it next).
    const scaled = StepExchange.scale(shardGrads, total, this.context.heap, rowsSummed);
    const sparseSquares = this.rank === 0 && rowsSummed ? StepExchange.sparseSquares(scaled) * total * total : 0;
    scalars.set([sums.count, sums.lossSum, ...metricNames.map((m) => sums.metricSums[m]!), squares + sparseSquares]);
    // The global count is known here (every device draws the same global batch), so the scalars'
    // all-reduce, only needed for the report, runs behind the update and the gather instead of
    // holding them up by a ring round trip. Collectives run in call order on every device.
    const reported = N > 1 ? this.collectives.allReduceSum(scalars) : Promise.resolve();
    awaitedLater(reported); // below; a failure is also the gather's
    const input = this.buckets.optimizerInput(scaled);
    prof.mark('scalars');

    const probe = this.stats.due(step) ? this.stats.begin() : null;
    await this.optimizer.applyGradients(this.params.map((p, i) => [input[i]!, p.variable] as const));
    const localStats = probe?.measure();
    prof.mark('optimizer');
    // Not awaited here: the all-gather runs while this report goes out and the next step reads its
    // batch; whatever reads the full parameters first waits for it (paramsGathered). Fully sharded,
    // nothing is gathered now: the next step gathers each unit when it needs it.
    if (!this.sharded) this.startGather();
    // After the gather in call order on every device (collectives are SPMD), only at a measured step.
    const optimizerStats = localStats ? await this.stats.reduce(localStats, this.collectives, N) : undefined;
    await reported;
    if (scalars[0] !== total)
      throw new Error(`internal: the devices counted ${scalars[0]} examples, the global batch has ${total}`);
    prof.mark('scalars');
    prof.end();

    this.lastStepMs = performance.now() - t0;
    const metrics = Object.fromEntries(metricNames.map((m, i) => [m, scalars[2 + i]! / total]));
    return {
      step,
      count: total,
      loss: scalars[1]! / total,
      metrics,
      learningRate: this.optimizer.learningRate,
      gradNorm: Math.sqrt(scalars[scalars.length - 1]!) / total / this.optimizer.scaleLoss(1),
      stepTimeMs: this.lastStepMs,
      deviceExamples: sums.count,
      ...(optimizerStats ? { optimizerStats } : {}),
    };
  }

  /**
   * Loss and metrics over the whole held-out set: this device evaluates its contiguous slice (dropout
   * off), the sums are all-reduced, so every device count gives the same figures.
   */
  async evaluate(): Promise<EvalReport> {
    if (!this.validation) throw new Error('this run has no validation data (data.validation)');
    const { start, size } = localSlice(this.validation.numExamples, this.mesh.size, this.rank);
    await this.paramsGathered();
    const validation = this.validation;
    const sums = this.sharded
      ? await this.sharded.evaluate((indices) => validation.readRows(indices), start, size)
      : evaluateSlice(this.model, this.state.withState(this.values.forwardValues()), validation, start, size);
    const names = Object.keys(sums.metricSums).sort();
    const scalars = Float64Array.from([sums.count, sums.lossSum, ...names.map((m) => sums.metricSums[m]!)]);
    if (this.mesh.size > 1) await this.collectives.allReduceSum(scalars);
    const count = scalars[0]!;
    return { count, loss: scalars[1]! / count, metrics: Object.fromEntries(names.map((m, i) => [m, scalars[2 + i]! / count])) };
  }

  /** Logical path, shape and specs of every variable exportShards() produces. */
  variableLayouts(): VariableLayout[] {
    const out: VariableLayout[] = this.params.map((p) => ({
      path: `params/${p.path}`,
      dtype: p.variable.dtype,
      globalShape: [...p.variable.globalShape],
      specs: [...p.variable.layout.shardingSpecs],
    }));
    for (const v of this.optimizer.variables) {
      if (v instanceof IterationsVariable) out.push({ path: 'optimizer/iteration', dtype: 'int64', globalShape: [], specs: [] });
      else
        out.push({
          path: `optimizer/${v.name}`,
          dtype: v.dtype,
          globalShape: [...v.globalShape],
          specs: [...v.layout.shardingSpecs],
        });
    }
    return [...out, ...this.state.layouts()];
  }

  /** Primary-replica shards of parameters and optimizer variables, by logical path. */
  exportShards(): ShardRecord[] {
    return this.shardSources().map(({ read, ...layout }) => ({ ...layout, data: read() }));
  }

  /**
   * The same shards, each read (copied) only when asked: a transfer in pieces holds one shard's copy
   * at a time instead of every shard's (src/workers/shard-transfer.ts).
   */
  shardSources(): ShardSource[] {
    const out: ShardSource[] = [];
    const add = (path: string, v: ShardedVariable) => {
      if (!isPrimaryReplica(v.layout, this.deviceId)) return;
      out.push({
        path,
        dtype: v.dtype,
        globalShape: [...v.globalShape],
        specs: [...v.layout.shardingSpecs],
        slices: v.slices.map((s) => ({ ...s })),
        length: v.localSize,
        read: () => v.readLocal(),
      });
    };
    this.params.forEach((p) => add(`params/${p.path}`, p.variable));
    for (const v of this.optimizer.variables) {
      if (v instanceof IterationsVariable) {
        if (this.rank === 0)
          out.push({
            path: 'optimizer/iteration',
            dtype: 'int64',
            globalShape: [],
            specs: [],
            slices: [],
            length: 1,
            read: () => Float64Array.of(v.value),
          });
      } else {
        add(`optimizer/${v.name}`, v);
      }
    }
    // The model's non-trainable state is small (moving statistics): its records already hold their values.
    const state = this.state
      .records(this.rank === 0)
      .map(({ data, ...rest }) => ({ ...rest, length: data.length, read: () => data }));
    return [...out, ...state];
  }

  /** Loads this device's shards (already cut to its layouts by the coordinator) and the step counter. */
  async importShards(shards: ShardRecord[], iterations: number): Promise<void> {
    await settled(this.paramsGathered()); // the gather below replaces what it would have brought, or fails itself
    const byPath = new Map(shards.map((s) => [s.path, s]));
    const take = (path: string, size: number) => {
      const s = byPath.get(path);
      if (!s) throw new Error(`checkpoint has no shard for ${path} on device ${this.deviceId}`);
      if (s.data.length !== size)
        throw new Error(`checkpoint shard ${path} has ${s.data.length} values, device ${this.deviceId} needs ${size}`);
      return s.data;
    };
    for (const p of this.params) p.variable.assignLocal(take(`params/${p.path}`, p.variable.localSize));
    this.state.load(take);
    this.optimizer.setWeights(
      this.optimizer.variables.map((v) =>
        v instanceof IterationsVariable ? iterations : take(`optimizer/${v.name}`, v.localSize),
      ),
    );
    if (this.sharded) return; // the next step gathers what it needs from these shards
    this.startGather();
    await this.paramsGathered();
  }

  /**
   * The parameters for this step's forward. The last step's all-gather went on while this step began:
   * with a communication thread, each layer waits only for its own bucket when it first reads its
   * parameters, so the first layers compute while the later ones still travel; without one (an
   * in-thread ring cannot progress inside a synchronous forward), everything is awaited first. So
   * it is with tensor storage, whose full values are tf.Variables the gather's end uploads into.
   */
  private async stepValues(): Promise<Map<string, ParamValue>> {
    const c = this.collectives as Collectives & { waitSync?: (op: Promise<unknown>) => void };
    if (!this.gathering || typeof c.waitSync !== 'function' || this.values.storage !== 'host') {
      const t0 = performance.now();
      await this.paramsGathered();
      this.profiler.charge('allGather', performance.now() - t0);
      return this.values.forwardValues();
    }
    const target = (k: number) => this.values.gatherTarget(k);
    const waitSync = (op: Promise<unknown>) => {
      const t0 = performance.now();
      c.waitSync!(op);
      this.profiler.charge('allGather', performance.now() - t0);
    };
    return this.values.forwardValues((k) => this.buckets.gather!.finishSync(k, target, waitSync));
  }

  /**
   * Waits for the all-gather of the full parameters, if one is running; its failure surfaces here.
   * Also what shutdown awaits, so that no gather is cut off by closing the links.
   */
  async paramsGathered(): Promise<void> {
    if (!this.gathering) return;
    this.gathering = false;
    await this.buckets.gather!.finish((k) => this.values.gatherTarget(k));
    this.values.gathered();
  }

  /** Starts rebuilding every device's full parameters from the owners' updated shards. */
  private startGather(): void {
    this.buckets.gather!.start((k) => this.values.shardOf(k), this.collectives);
    this.gathering = true;
  }
}

function layoutMapOf(layouts: Record<string, string[]>, mesh: Mesh): LayoutMap {
  const map = new LayoutMap(mesh);
  for (const [key, specs] of Object.entries(layouts)) map.set(key, new Layout(specs, mesh));
  return map;
}
