/**
 * Coordinator ↔ device-worker protocol. Calls go through comlink (WorkerApi); progress and metrics
 * are plain tagged messages on the same channel, because comlink proxies cannot cross process ports.
 */
import type {
  CommThreadChoice,
  ComputeChoices,
  DeviceStats,
  ModelSetting,
  OptimizerSetting,
  OptimizerVariableStats,
  RunConfig,
  VariableStorage,
} from './api';

export type { VariableStorage };

export interface WorkerInit {
  deviceId: number;
  /** Mesh text, e.g. `batch=2,model=2`. */
  mesh: string;
  /** tfjs backends to try in order (from the run's backend choice and the device). */
  backends: ('tensorflow' | 'wasm' | 'cpu')[];
  /** The run's nativeBlas: the wasm kernels' matmul and convolution, and the ring's add, on the native addon where it loads. */
  nativeBlas: boolean;
  /** The run's commThread choice (the policy decides 'auto' with the worker's backend and the cores). */
  commThread: CommThreadChoice;
}

export interface WorkerInfo {
  deviceId: number;
  pid: number;
  backend: string;
  /** Why preferred backends were skipped (e.g. tfjs-node-gpu not installed). */
  backendNotes: string[];
  cudaVisibleDevices: string | null;
  rssBytes: number;
}

/** What a worker needs to train: the run config's parts, plain JSON, validated by the coordinator first. */
export interface TrainSetup {
  model: ModelSetting;
  data: RunConfig['data'];
  /** Regex key → sharding spec per axis. */
  layouts: Record<string, string[]>;
  /** Keras Adadelta get_config() dict. */
  optimizer: OptimizerSetting;
  /** Keras 3's EMA first step (momentum 0 at iteration 0) or tf.keras 2.x's (the default); the run's stored choice. */
  emaFirstStep?: 'keras2' | 'keras3';
  globalBatchSize: number;
  seed: number;
  /** Directory holding the ring's Unix sockets. */
  socketDir: string;
  /**
   * Keep only shards between steps and gather each unit's parameters just before it computes
   * (docs/architecture.md, "The memory model"); the engine resolves the run's `fullySharded`. Default false.
   */
  fullySharded?: boolean;
  /** Fully sharded: dispose forward's gathered parameters and gather them again in backward. Default true. */
  reshardAfterForward?: boolean;
  /**
   * The run's compute path, as recorded with the run: the coordinator hands the backend order, native
   * BLAS and the communication thread to init(); setup() places the variables (variableStorage,
   * resolved against the backend). Workers read none of these from their environment.
   */
  compute: ComputeChoices;
  /** Measure Adadelta's state every N steps (0 or absent: never); see OptimizerVariableStats. */
  optimizerStatsEvery?: number;
}

/** A stored variable: logical path (`params/dense.kernel`, `optimizer/…`), dtype, global shape, sharding specs. */
export interface VariableLayout {
  path: string;
  dtype: 'float32' | 'float64' | 'int64';
  globalShape: number[];
  specs: string[];
}

/** One stored variable shard: its variable's layout, the slice it covers and its values. */
export interface ShardRecord extends VariableLayout {
  slices: { start: number; size: number }[];
  data: Float32Array | Float64Array;
}

/**
 * A shard without its values: they cross the process channel in bounded pieces (ShardPiece), never in
 * one message, because Node's IPC refuses a message of 2 GiB or more (docs/architecture.md).
 */
export interface ShardHeader extends Omit<ShardRecord, 'data'> {
  /** The values' array type and element count. */
  array: 'float32' | 'float64';
  length: number;
}

/**
 * Bytes of shard values per call between the engine and a worker: far below the 2 GiB ceiling, large
 * enough that calls cost nothing next to the copy (src/engine/coordinator/shard-transfer.ts).
 */
export const TRANSFER_CHUNK_BYTES = 64 * 2 ** 20;

/** Elements [offset, offset + count) of the transfer's shard number `shard`. */
export interface ShardPiece {
  shard: number;
  offset: number;
  count: number;
}

export interface StepReport {
  step: number;
  loss: number;
  metrics: Record<string, number>;
  learningRate: number;
  gradNorm: number;
  stepTimeMs: number;
  count: number;
  /** Examples this device computed (its slice of the global batch). */
  deviceExamples?: number;
  /** The worker's resident set now and its peak so far. */
  rssBytes?: number;
  peakRssBytes?: number;
  /** At every `optimizerStatsEvery`-th step: Adadelta's state per variable, reduced over the mesh. */
  optimizerStats?: OptimizerVariableStats[];
}

/** Mean loss and metrics over the held-out set (every device reports the same all-reduced figures). */
export interface EvalReport {
  count: number;
  loss: number;
  metrics: Record<string, number>;
}

export interface WorkerApi {
  init(init: WorkerInit): Promise<WorkerInfo>;
  /** Builds model, data, variables and optimizer, and connects the ring to every peer. */
  /**
   * `parameters`: where forward reads the parameters from, for the worker log. `commThread`: the
   * communication thread's note when the model changed init's decision (BatchNormalization on a mesh).
   */
  setup(setup: TrainSetup): Promise<{
    paramCount: number;
    shardBytes: number;
    storage: 'host' | 'tensor';
    parameters: string;
    commThread?: string;
  }>;
  /** Runs global steps [from, from+count); streams a `step` event per step. Resolves with the last report. */
  train(from: number, count: number): Promise<StepReport | null>;
  /** Evaluates the held-out set (data.validation) with the current parameters, sharded over the mesh. */
  evaluate(): Promise<EvalReport>;
  /**
   * Stages this device's primary-replica shards of every parameter and optimizer variable and
   * describes them; their values follow in readShardPieces calls, and endShardExport drops the copy.
   */
  exportShards(): Promise<ShardHeader[]>;
  /** The values of the staged shards' pieces, in order (the coordinator keeps each call bounded). */
  readShardPieces(pieces: ShardPiece[]): Promise<(Float32Array | Float64Array)[]>;
  endShardExport(): Promise<void>;
  /** Every stored variable's logical path, global shape and sharding specs on this mesh. */
  variableLayouts(): Promise<VariableLayout[]>;
  /**
   * Starts replacing parameters and optimizer state with these local shards (same layouts as setup):
   * their values follow in writeShardPieces calls, and commitShardImport loads them.
   */
  beginShardImport(shards: ShardHeader[], iterations: number): Promise<void>;
  writeShardPieces(pieces: (ShardPiece & { data: Float32Array | Float64Array })[]): Promise<void>;
  commitShardImport(): Promise<void>;
  stats(): Promise<DeviceStats>;
  /** Answers at once unless the worker's event loop is stuck (used to find a stalled device). */
  ping(): Promise<number>;
  /** Closes the ring and lets the process exit. */
  shutdown(): Promise<void>;
}

export type WorkerEvent =
  { type: 'step'; deviceId: number; report: StepReport } | { type: 'log'; deviceId: number; line: string };

/** Marks our own messages so the comlink listeners ignore them. */
export const EVENT_TAG = '__dtrainEvent';
export interface TaggedEvent {
  [EVENT_TAG]: true;
  event: WorkerEvent;
}

export function isTaggedEvent(message: unknown): message is TaggedEvent {
  return typeof message === 'object' && message !== null && (message as Record<string, unknown>)[EVENT_TAG] === true;
}
