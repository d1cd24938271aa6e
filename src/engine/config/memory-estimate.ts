/**
 * What one worker holds for a step, part by part and memory by memory (docs/architecture.md, "The
 * memory model"), counted from the same plans the worker builds (core/collectives/exchange-plan.ts,
 * core/models/units.ts): gathered parameters or fully sharded ones, host or tensor storage.
 */
import { Layout } from '../../core/dtensor/layout';
import { LayoutMap } from '../../core/dtensor/layout-map';
import type { Mesh } from '../../core/dtensor/mesh';
import { planExchange, type ExchangePlan } from '../../core/collectives/exchange-plan';
import type { Model } from '../../core/models/index';
import { stepUnits, type StepUnit } from '../../core/models/units';
import type { OptimizerSetting } from '../../shared/api';
import { TRANSFER_CHUNK_BYTES } from '../../shared/worker-protocol';

/**
 * Node, tfjs, the wasm backend and the ring in one worker process before any model: 182-191 MiB
 * measured for a 2-worker run of a tiny model; the communication thread adds about 35 MiB
 * (docs/architecture.md, "The memory model").
 */
export const RUNTIME_BYTES = 190 * 2 ** 20;
export const COMM_THREAD_BYTES = 35 * 2 ** 20;
/** A wasm32 memory's limit: the optimizer's heap and tfjs-wasm's heap each stop there. */
export const WASM_HEAP_BYTES = 4 * 2 ** 30;

export interface MemoryInputs {
  model: Model;
  mesh: Mesh;
  layouts: Record<string, string[]>;
  optimizer: OptimizerSetting;
  globalBatchSize: number;
  /** Where shards and slots live: the optimizer's wasm heap (host) or the tfjs backend (tensor). */
  storage: 'host' | 'tensor';
  fullySharded: boolean;
  reshardAfterForward: boolean;
  /** The data a worker holds (dataBytes()). */
  dataBytes: number;
  /** Whether the workers run their ring on a communication thread (shared/comm-thread-policy.ts). */
  commThread?: boolean;
}

/** One worker's bytes, by part. Each part is also in exactly one of the three memories below. */
export interface WorkerMemory {
  fullySharded: boolean;
  /** Parameter shards, optimizer slots, and the summed gradient shards the reduce-scatter writes. */
  shards: number;
  slots: number;
  gradientShards: number;
  /** Full parameters as tensors while they compute: about one unit fully sharded, every parameter gathered. */
  paramTensors: number;
  /** Gradients as backward produces them: one unit's fully sharded, every gradient gathered. */
  gradTensors: number;
  activations: number;
  /** Gathered: host copies of the sharded parameters' full values. */
  hostParams: number;
  /** Parameter all-gather buffers (send and receive). */
  gatherBuffers: number;
  /** Gradient reduce-scatter buffers (packed gradients; one device: the gradients themselves). */
  reduceBuffers: number;
  data: number;
  /**
   * A checkpoint: the worker copies one variable's shard at a time out of its storage and sends it in
   * pieces of TRANSFER_CHUNK_BYTES (a piece and its serialised message in flight).
   */
  checkpoint: number;
  runtime: number;
  /** The three memories: the optimizer's wasm heap, the tfjs backend's, and the JS heap's buffers. */
  optimizerHeap: number;
  tensorMemory: number;
  hostBuffers: number;
  total: number;
  /** Activation bytes per example of the local batch (what a smaller batch saves). */
  perExample: number;
  /**
   * Not a worker's: the engine gathers every shard of a checkpoint (all parameters and slots) and
   * writes it in one transaction, holding CHECKPOINT_HOLD_FACTOR times its bytes at the peak.
   */
  engineCheckpoint: number;
  /** The unit with the most parameter bytes: fully sharded, a worker holds its full values whatever N is. */
  largestUnit: { name: string; bytes: number };
}

/**
 * The engine's peak while it writes a checkpoint, in multiples of the state: the state assembled from
 * the transfer pieces, pieces the garbage collector has not freed yet and the write's own buffers.
 * Measured 5.4 GB for a 2.19 GB checkpoint (`npm run bench -- large-checkpoint`, an MLP 4→13500→13500→3).
 */
export const CHECKPOINT_HOLD_FACTOR = 2.5;

const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

/** The worker that holds the most (shards can be uneven). */
export function estimateWorkerMemory(i: MemoryInputs): WorkerMemory {
  const map = new LayoutMap(i.mesh);
  for (const [key, specs] of Object.entries(i.layouts)) map.set(key, new Layout(specs, i.mesh));
  const layouts = i.model.params.map((p) => map.layoutFor(p.path, p.shape.length));
  const estimates = i.mesh.deviceIds.map((d) =>
    estimateFor(
      i,
      i.model.params.map((p, k) => planExchange(p.path, p.shape, layouts[k]!, d)),
    ),
  );
  return estimates.reduce((a, b) => (b.total > a.total ? b : a));
}

function estimateFor(i: MemoryInputs, plans: ExchangePlan[]): WorkerMemory {
  const { model } = i;
  const single = i.mesh.size === 1;
  const me = (p: ExchangePlan) => p.devices.indexOf(p.deviceId);
  const full = (k: number) => 4 * prod(model.params[k]!.shape);
  const local = (k: number) => 4 * prod(plans[k]!.slicesOf.get(plans[k]!.deviceId)!.map((s) => s.size));
  const dense = model.params.map((p) => !p.sparse);
  const sharded = plans.map((p) => !p.replicated);
  const all = model.params.map((_, k) => k);
  const pick = (ks: number[], f: (k: number) => number, when: (k: number) => boolean = () => true) => sum(ks.filter(when).map(f));
  const shards = pick(all, local);
  const slotCount = 2 + (i.optimizer.use_ema ? 1 : 0) + ((i.optimizer.gradient_accumulation_steps as number) > 1 ? 1 : 0);
  // The reduce-scatter's output (this device's piece of each dense gradient); one device lands whole gradients.
  const pieces = pick(
    all,
    (k) => 4 * plans[k]!.pieces[me(plans[k]!)]!.size,
    (k) => dense[k]!,
  );
  const gradientShards = single ? pick(all, full, (k) => dense[k]!) : pieces;
  // Replica groups rebuild each shard from its pieces in plain arrays.
  const replicaShards = pick(all, local, (k) => dense[k]! && plans[k]!.replicas.length > 1);
  const indexOf = new Map(model.params.map((p, k) => [p.path, k]));
  const stepped = stepUnits(model);
  const units = stepped.map((u) => ({ name: u.name, vars: u.params.map((p) => indexOf.get(p)!) }));
  const unitBytes = units.map((u) => pick(u.vars, full));
  const largest = unitBytes.indexOf(Math.max(...unitBytes));
  const act = activations(model, stepped);
  const localBatch = Math.ceil(i.globalBatchSize / i.mesh.size);
  // Tensor storage keeps replicated values (and every shard) as tf.Variables: counted in `shards`.
  const uploaded = (k: number) => (i.storage === 'host' || sharded[k]! ? full(k) : 0);
  type Computed =
    | 'optimizerHeap'
    | 'tensorMemory'
    | 'hostBuffers'
    | 'total'
    | 'fullySharded'
    | 'largestUnit'
    | 'checkpoint'
    | 'engineCheckpoint';
  let parts: Omit<WorkerMemory, Computed>;
  if (i.fullySharded) {
    const unitDense = units.map((u) => pick(u.vars, full, (k) => dense[k]!));
    const staging = Math.max(
      0,
      ...units.map((u) =>
        pick(
          u.vars,
          (k) => full(k) + local(k),
          (k) => sharded[k]!,
        ),
      ),
    );
    parts = {
      shards,
      slots: shards * slotCount,
      gradientShards,
      paramTensors: i.reshardAfterForward ? Math.max(0, ...units.map((u) => pick(u.vars, uploaded))) : pick(all, uploaded),
      gradTensors: Math.max(0, ...unitDense),
      activations: (act.kept + act.largestUnit) * localBatch,
      hostParams: 0,
      gatherBuffers: staging,
      reduceBuffers: (single ? 0 : 2 * Math.max(0, ...unitDense)) + replicaShards,
      data: i.dataBytes,
      runtime: RUNTIME_BYTES + (i.commThread ? COMM_THREAD_BYTES : 0),
      perExample: act.kept + act.largestUnit,
    };
  } else {
    const shardedFull = pick(all, full, (k) => sharded[k]!);
    parts = {
      shards,
      slots: shards * slotCount,
      gradientShards,
      // Tensor storage keeps the sharded variables' full values as tf.Variables, host storage uploads all.
      paramTensors: pick(all, uploaded),
      gradTensors: pick(all, full, (k) => dense[k]!),
      activations: act.all * localBatch,
      hostParams: shardedFull, // the gather's destination, which forward (or the tensors' upload) reads
      gatherBuffers: shardedFull + pick(all, local, (k) => sharded[k]!),
      reduceBuffers: (single ? 0 : pick(all, full, (k) => dense[k]!)) + replicaShards,
      data: i.dataBytes,
      runtime: RUNTIME_BYTES + (i.commThread ? COMM_THREAD_BYTES : 0),
      perExample: act.all,
    };
  }
  // With tensor storage the shards and slots are tensors; the reduce-scatter output stays in the heap.
  const inHeap = i.storage === 'host' ? parts.shards + parts.slots : 0;
  const optimizerHeap = inHeap + parts.gradientShards;
  const tensorMemory =
    parts.paramTensors + parts.gradTensors + parts.activations + (i.storage === 'tensor' ? parts.shards + parts.slots : 0);
  const largestShard = Math.max(0, ...all.map(local));
  const checkpoint = Math.min(2 * (parts.shards + parts.slots), largestShard + 2 * TRANSFER_CHUNK_BYTES);
  const hostBuffers = parts.hostParams + parts.gatherBuffers + parts.reduceBuffers + parts.data + checkpoint;
  return {
    fullySharded: i.fullySharded,
    ...parts,
    checkpoint,
    optimizerHeap,
    tensorMemory,
    hostBuffers,
    total: optimizerHeap + tensorMemory + hostBuffers + parts.runtime,
    engineCheckpoint: CHECKPOINT_HOLD_FACTOR * pick(all, full) * (1 + slotCount),
    largestUnit: { name: units[largest]?.name ?? 'none', bytes: unitBytes[largest] ?? 0 },
  };
}

/**
 * Activation bytes per example: every layer's output, its pre-activation and its gradient (float32),
 * for the whole model at once (gathered) — and, fully sharded, each unit's kept input and output plus
 * the largest unit's three while it is recomputed and differentiated.
 */
function activations(model: Model, units: StepUnit[]): { all: number; kept: number; largestUnit: number } {
  const input = prod(model.inputShape);
  const all = (input + sum(units.map((u) => u.activationSize))) * 4 * 3;
  const kept = (input + sum(units.map((u) => prod(u.outShape)))) * 4;
  return { all, kept, largestUnit: Math.max(0, ...units.map((u) => u.activationSize)) * 4 * 3 };
}

/** The data a worker holds: the loaded rows (x float32, y) of training and held-out data, or a streamed batch. */
export function dataBytes(
  shape: { examples: number; featureShape: number[]; targetDim?: number; streamed?: boolean; cacheBytes?: number },
  localBatch: number,
): number {
  const row = 4 * prod(shape.featureShape) + 4 * (shape.targetDim ?? 1);
  if (shape.streamed) return 2 * localBatch * row + 4 * shape.examples + (shape.cacheBytes ?? 0); // labels are read whole
  return shape.examples * row;
}

export function formatBytes(n: number): string {
  return n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(1)} GiB` : `${Math.round(n / 2 ** 20)} MiB`;
}
