/**
 * A parsed run's memory plan on the devices it would get (memory-fit.ts), read from the ResolvedRun:
 * its model, mesh and layouts, its compute path (where the variables live, whether the workers run a
 * communication thread), its data's shapes and whether the workers stream them; and what the run
 * keeps of the plan (RunDetail.memory, docs/architecture.md, "The memory model").
 */
import { availableParallelism } from 'node:os';
import type { Streaming } from '../../datasets/streaming';
import type { RunConfig, RunMemory } from '../../shared/api';
import { commThreadDecision } from '../../shared/comm-thread-policy';
import { backendOrder } from './compute';
import { dataBytes } from './memory-estimate';
import { planMemory, type FitContext, type MemoryPlan } from './memory-fit';
import type { ResolvedRun } from './parse-run';

export type PlannedRun = Pick<ResolvedRun, 'config' | 'model' | 'mesh' | 'compute' | 'data'>;

/** The plan of `run` on `ctx.devices`; `streaming`: whether its workers read the data per batch (datasets/streaming.ts). */
export function planRunMemory(
  run: PlannedRun,
  ctx: FitContext,
  streaming: Streaming = { streamed: false, cacheBytes: 0 },
): MemoryPlan {
  const { config, mesh, compute } = run;
  // The backend a worker tries first on these devices, and where auto storage puts the variables on it.
  const backend = backendOrder(ctx.devices[0]!, compute.backend)[0]!;
  const storage = compute.variableStorage !== 'auto' ? compute.variableStorage : backend === 'tensorflow' ? 'tensor' : 'host';
  const localBatch = Math.ceil(config.globalBatchSize / mesh.size);
  const parts = [run.data.train, run.data.validation];
  const data = parts.reduce((a, s) => a + (s ? dataBytes({ ...s, ...streaming }, localBatch) : 0), 0);
  return planMemory(
    {
      model: run.model,
      mesh,
      layouts: config.layouts ?? {},
      optimizer: config.optimizer,
      globalBatchSize: config.globalBatchSize,
      storage,
      reshardAfterForward: config.reshardAfterForward !== false,
      dataBytes: data,
      commThread: commThreadDecision(compute.commThread, { workers: mesh.size, backend, cores: availableParallelism() }).on,
    },
    config.fullySharded ?? 'auto',
    ctx,
  );
}

/** What a run keeps of its plan (RunDetail.memory). */
export function runMemoryOf(config: RunConfig, plan: MemoryPlan): RunMemory {
  const { estimate: m } = plan;
  const parts = {
    shards: m.shards,
    slots: m.slots,
    gradientShards: m.gradientShards,
    paramTensors: m.paramTensors,
    gradTensors: m.gradTensors,
    activations: m.activations,
    hostParams: m.hostParams,
    gatherBuffers: m.gatherBuffers,
    reduceBuffers: m.reduceBuffers,
    data: m.data,
    checkpoint: m.checkpoint,
    runtime: m.runtime,
  };
  return {
    fullySharded: plan.fullySharded,
    reshardAfterForward: config.reshardAfterForward !== false,
    estimateBytes: m.total,
    parts,
  };
}
