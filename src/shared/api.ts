/**
 * The typed API between the engine (Electron main, or `dtrain serve`) and the renderer. Types only:
 * the renderer imports nothing else of the engine. Implemented over Electron IPC (preload's
 * `window.dtrainIpc`) and over a WebSocket (web mode); both carry exactly these calls and events.
 */

import type { DoctorReport } from './doctor';

/** Where a run's examples come from, and (`shuffle: false`) whether batches keep the file order. */
export type DataSource = (
  | { kind: 'builtin'; name: string }
  | { kind: 'synthetic'; name: string; options?: Record<string, number> }
  | { kind: 'csv'; path: string; labelColumn?: string | number; normalize?: 'none' | 'zscore' | 'minmax' }
  /**
   * NumPy's savez/savez_compressed file; `x`/`y` are its keys (default "x", "y"), or one key per Keras
   * model input / output: `{"title": "title", "body": "body"}`.
   */
  | {
      kind: 'npz';
      path: string;
      x?: string | Record<string, string>;
      y?: string | Record<string, string>;
      task?: 'classification' | 'regression';
    }
  /** Two .npy files (or one per Keras model input / output, as for npz). */
  | {
      kind: 'npy';
      x: string | Record<string, string>;
      y: string | Record<string, string>;
      task?: 'classification' | 'regression';
    }
  /** One subfolder per class of PNG/JPEG images, resized (bilinear) to `size`; pixels 0–255 × `rescale`. */
  | { kind: 'images'; path: string; size: [number, number]; channels: 1 | 3; rescale?: number }
) & {
  /** false: step t reads rows t·B … t·B+B−1 of the file order, wrapping (Keras fit(shuffle=False)). Default true. */
  shuffle?: boolean;
};

/**
 * Held-out data for evaluation (`data.validation`): a seeded share of the training data (stratified by
 * class for classification; never dependent on the device count), a file of the same kind as the
 * training data (`{path}`), or any data source.
 */
export type ValidationSource = { fraction: number; seed?: number } | { path: string } | DataSource;

/** Keras's EarlyStopping, counted in evaluations (see `evalEvery`). */
export interface EarlyStoppingConfig {
  /** A metric as stored: `val_loss`, `val_accuracy`, … or a training one (`loss`). Default `val_loss`. */
  monitor?: string;
  /** 'auto': max for names containing `acc`, else min (Keras's rule). Default 'auto'. */
  mode?: 'min' | 'max' | 'auto';
  /** Evaluations without improvement before stopping. Default 0. */
  patience?: number;
  /** Smallest change that counts as an improvement (its sign is ignored). Default 0. */
  minDelta?: number;
  /** End with the best evaluation's weights and optimizer state. Default false. */
  restoreBest?: boolean;
}

/** A learning rate: a number, or a Keras schedule dict (either serialized form). */
export type LearningRateSetting =
  number | { class_name: string; config: Record<string, unknown>; module?: string | null; registered_name?: string | null };

/**
 * A model as a run config gives it: this project's JSON spec (`"type": "mlp" | "sequential"`, with
 * `input`, `layers`, `loss`, `metrics`) or a Keras model config (`"type": "keras"`). The engine's
 * validation (core's buildModel) checks every key; this type names only the discriminator.
 */
export interface ModelSetting {
  type: string;
  [key: string]: unknown;
}

/** Keras's Adadelta get_config() dict, snake_case keys as Python writes them (Adadelta.fromConfig checks it). */
export interface OptimizerSetting {
  learning_rate?: LearningRateSetting;
  rho?: number;
  epsilon?: number;
  clipnorm?: number | null;
  global_clipnorm?: number | null;
  clipvalue?: number | null;
  use_ema?: boolean;
  ema_momentum?: number;
  ema_overwrite_frequency?: number | null;
  weight_decay?: number | null;
  [key: string]: unknown;
}

/** Everything a run needs; stored as JSON with the run. `optimizer` is Keras's Adadelta get_config(). */
export interface RunConfig {
  name?: string;
  model: ModelSetting;
  data: DataSource & { validation?: ValidationSource };
  /** Mesh text, e.g. `batch=2` or `batch=2,model=2`. */
  mesh: string;
  /** Regex key → sharding spec per axis (mesh dim name or 'unsharded'); unmatched variables are replicated. */
  layouts?: Record<string, string[]>;
  optimizer: OptimizerSetting;
  steps: number;
  globalBatchSize: number;
  seed: number;
  /** Checkpoint every N steps (0: only on pause/stop). */
  checkpointEvery?: number;
  /** Keep the last K checkpoints (the best one, with early stopping, is kept besides). */
  keepCheckpoints?: number;
  /** Evaluate on `data.validation` every N steps (default: at every checkpoint and at the end). */
  evalEvery?: number;
  /**
   * Record Adadelta's per-variable state (accumulator norms, effective step size, update ratio, weight
   * histograms) every N steps; 0 turns it off. Default: ⌈steps / 200⌉ and at least 10 (about 200 records for a long run).
   */
  optimizerStatsEvery?: number;
  /** Train no faster than one step per this many milliseconds (a demo a person can watch). Default 0. */
  minStepMs?: number;
  earlyStopping?: EarlyStoppingConfig;
  /**
   * The id of the run this one continues: with `"model": {"type": "keras", "path": …}` for an archive
   * exported from that run and trained elsewhere (e.g. a cluster). Stored as the run's parent link.
   */
  parent?: string;
  /** Where workers keep parameters and optimizer slots (default: `DTRAIN_VARIABLE_STORAGE`, else auto). */
  variableStorage?: VariableStorage;
  /** The workers' tfjs backend (default: `DTRAIN_BACKEND`, else auto). */
  backend?: BackendChoice;
  /** Native BLAS for the wasm workers' matmul and convolution where it loads (default: `DTRAIN_NATIVE_BLAS`, else true). */
  nativeBlas?: boolean;
  /** The workers' communication thread (default: `DTRAIN_COMM_THREAD`, else auto). */
  commThread?: CommThreadChoice;
  /**
   * Fully sharded parameters (FSDP, ZeRO-3; docs/architecture.md, "The memory model"): between steps a
   * worker keeps only its shards, and each layer's parameters are gathered just before it computes.
   * "auto" (default): only when the run would not fit in memory with its parameters gathered.
   */
  fullySharded?: 'auto' | boolean;
  /** Fully sharded: free each layer's gathered parameters after forward and gather them again in backward (default true). */
  reshardAfterForward?: boolean;
  /** A worker without a finished step for this long is declared stalled and the run stopped (default 120). */
  watchdogSeconds?: number;
  /**
   * The EMA first-step rule: 'keras3' (momentum 0 while iterations is 0) for runs from a Keras 3 archive
   * or Keras 3 model JSON, 'keras2' (tf.keras 2.x) otherwise. Set when the run is created, kept on resume.
   */
  emaFirstStep?: 'keras2' | 'keras3';
}

/** auto: tfjs tensors on the `tensorflow` backend (GPU), the fused kernel's host memory elsewhere. */
export type VariableStorage = 'auto' | 'host' | 'tensor';

/** auto: tensorflow → wasm → cpu on a GPU, wasm → cpu on a CPU worker; a forced one fails rather than fall back. */
export type BackendChoice = 'auto' | 'tensorflow' | 'wasm' | 'cpu';
/** on / off force the workers' communication thread; auto uses it where a core is free for it (docs/comm-thread.md). */
export type CommThreadChoice = 'auto' | 'on' | 'off';

/**
 * The compute path a run's workers take: the tfjs backend, native BLAS where it loads, the
 * communication thread, and where the variables live. Recorded with the run when it is created (each
 * from the run config, else its DTRAIN_* variable, else auto; docs/settings.md), so a resume takes
 * the same path wherever it is resumed; a variable set when resuming overrides it, with a note.
 */
export interface ComputeChoices {
  backend: BackendChoice;
  nativeBlas: boolean;
  commThread: CommThreadChoice;
  variableStorage: VariableStorage;
}

/** 'interrupted': marked running, but the process that trained it is gone (killed); resume continues it. */
export type RunStatus = 'created' | 'running' | 'paused' | 'stopped' | 'completed' | 'failed' | 'interrupted';

export interface DeviceInfo {
  deviceId: number;
  /** 'GPU 0 (NVIDIA …)' or 'CPU worker 0'. */
  label: string;
  kind: 'GPU' | 'CPU';
  memoryBytes?: number;
}

export interface DeviceStats {
  deviceId: number;
  pid: number;
  backend: string;
  /** Bytes of parameters + optimizer state this device holds (its shards). */
  shardBytes: number;
  rssBytes: number;
  stepTimeMs: number;
  /** Where this worker keeps its shards and slots: on the tfjs backend ('tensor') or in host memory. */
  storage?: 'host' | 'tensor';
  /** Live tfjs tensors in the worker: constant from step to step (growth would be a leak). */
  numTensors?: number;
  /** The worker process's peak resident memory since it started (the OS's maxrss). */
  peakRssBytes?: number;
  /** Where this worker's steps spent their time and what they copied, summed since setup. */
  profile?: StepProfile;
}

/**
 * Totals over a worker's steps since setup (take differences between two stats() calls for a span).
 * Phases: compute (batch, forward/backward, gradient download), reduceScatter (gradients to the shard
 * owners), scalars (gradient norm, loss/metric all-reduce, the 1/count scale), optimizer, allGather
 * (updated parameters back to every device). copiedBytes: host copies by kind (download, upload, pack,
 * shard, kernel).
 */
export interface StepProfile {
  steps: number;
  phaseMs: Record<'compute' | 'reduceScatter' | 'scalars' | 'optimizer' | 'allGather', number>;
  copiedBytes: Record<'download' | 'upload' | 'pack' | 'shard' | 'kernel', number>;
}

export interface MetricPoint {
  step: number;
  loss: number;
  /**
   * Training metrics by Keras name (`accuracy`, …) and, at steps where an evaluation ran, the
   * held-out figures merged into the same point: `val_loss`, `val_accuracy`, …
   */
  metrics: Record<string, number>;
  learningRate: number;
  gradNorm: number;
  stepTimeMs: number;
  samplesPerSec: number;
  time: number;
}

export interface CheckpointInfo {
  id: number;
  step: number;
  createdAt: number;
  bytes: number;
  /** The best evaluation's checkpoint (early stopping): kept whatever keepCheckpoints says. */
  best?: boolean;
  /**
   * restoreBest: this (final) checkpoint holds the weights and slots of the best evaluation, restored
   * from the checkpoint at this step, not those trained up to `step`.
   */
  restoredBestFrom?: number;
}

export interface RunSummary {
  id: string;
  name: string;
  status: RunStatus;
  createdAt: number;
  updatedAt: number;
  step: number;
  steps: number;
  lastLoss: number | null;
  mesh: string;
  /** Free labels for filtering the runs list (trimmed, unique, in the order given). */
  tags: string[];
  /** Wall time from the first to the last recorded metric point (null before two points). */
  durationMs: number | null;
  /**
   * Set while another live dtrain process (a `dtrain train` in a terminal, another app) trains the
   * run: only that process can pause or stop it; its progress is in the database.
   */
  elsewhere?: { pid: number; host: string };
  /** Why a run ended before its last step, e.g. `early-stopped at step 60; best step 30 val_loss 0.2143`. */
  stopReason?: string | null;
}

export interface RunDetail extends RunSummary {
  config: RunConfig;
  checkpoints: CheckpointInfo[];
  devices: DeviceStats[];
  error: string | null;
  notes: string;
  /** The run this one continues (`parent` in its config: e.g. its Keras archive came back from a cluster). */
  parentId?: string | null;
  /** How its last start held the parameters and what the memory check estimated per worker. */
  memory?: RunMemory | null;
}

/** The memory check's plan for a run's workers (docs/architecture.md, "The memory model"). */
export interface RunMemory {
  fullySharded: boolean;
  reshardAfterForward: boolean;
  /** One worker's estimated peak, in bytes (the largest worker when shards are uneven). */
  estimateBytes: number;
  /** Its parts: shards, slots, gradientShards, paramTensors, gradTensors, activations, hostParams, gatherBuffers, reduceBuffers, data, checkpoint, runtime. */
  parts: Record<string, number>;
}

/**
 * Adadelta's state for one variable at one step, over every element of the variable (all shards):
 * what the workers compute every `optimizerStatsEvery` steps.
 */
export interface OptimizerVariableStats {
  /** Logical path, e.g. `dense.kernel`. */
  path: string;
  /** Elements. */
  size: number;
  /** ‖accumulated_grad‖₂ (E[g²]) and ‖accumulated_delta_var‖₂ (E[Δx²]). */
  accumulatedGradNorm: number;
  accumulatedDeltaNorm: number;
  /**
   * The effective step size sqrt(E[Δx²]+ε)/sqrt(E[g²]+ε) per element (before the learning rate), at
   * the 10th, 25th, 50th, 75th and 90th percentiles (within 2% relative: a mergeable sketch).
   */
  stepSize: number[];
  /** ‖Δθ‖₂ / ‖θ‖₂ of the step's update. */
  updateRatio: number;
  paramNorm: number;
  /** θ at TensorBoard's distribution percentiles: 0, 6.68, 15.87, 30.85, 50, 69.15, 84.13, 93.32, 100. */
  weightQuantiles: number[];
  /** θ re-binned into equal-width bins (edges has one more entry than counts). */
  weightHistogram: { edges: number[]; counts: number[] };
}

export interface OptimizerStatsPoint {
  /** The step the update completed (as MetricPoint.step). */
  step: number;
  time: number;
  variables: OptimizerVariableStats[];
}

/** One device's figures at one step (sampled about once a second while a run trains). */
export interface DeviceHistoryPoint {
  step: number;
  time: number;
  deviceId: number;
  stepTimeMs: number;
  /** This device's examples per second (its slice of the global batch). */
  samplesPerSec: number;
  rssBytes: number;
  /** The worker process's largest resident set so far. */
  peakRssBytes: number;
}

export interface DeviceHistory {
  /** The engine's memory estimate for one worker before the run started (null when it cannot say). */
  memoryEstimateBytes: number | null;
  points: DeviceHistoryPoint[];
}

/** Loss and metrics of one checkpoint (see TrainerApi.evaluateCheckpoint). */
export interface CheckpointEvaluation {
  runId: string;
  step: number;
  best: boolean;
  restoredBestFrom?: number;
  /** Which data: 'validation' or 'training'. */
  data: string;
  count: number;
  loss: number;
  metrics: Record<string, number>;
}

export interface DatasetInfo {
  name: string;
  kind: DataSource['kind'];
  description: string;
}

/** What a data source holds, shown before a run starts (see TrainerApi.describeDataSource). */
export interface DataSourceSummary {
  /** What an example is: a row of a table or an image file. */
  unit: 'rows' | 'images';
  examples: number;
  /** One example's shape: what the model's input must be. */
  featureShape: number[];
  task: 'classification' | 'regression';
  /** Classification: every class with its example count, in label order. */
  classes?: { name: string; count: number }[];
  /** Regression: values per target. */
  targetDim?: number;
}

/** One config key whose value differs between runs (see TrainerApi.diffConfigs). */
export interface ConfigDiff {
  /** Dotted path, e.g. `optimizer.rho`. */
  path: string;
  /** One per run, in the order asked; null where the run lacks the key (see `missing`). */
  values: unknown[];
  /** True where the run's config has no such key (shown as "—"); absent: every run has it. */
  missing?: boolean[];
}

/** A config problem, tied to the field it concerns (dotted path), for inline messages in forms. */
export interface ConfigIssue {
  path: string;
  message: string;
}

/** A hyperparameter sweep: trials are ordinary runs grouped under it (see `dtrain sweep`). */
export type SweepStatus = 'running' | 'paused' | 'completed' | 'failed';
export type TrialStatus = RunStatus | 'pending' | 'pruned';

export interface SweepTrial {
  index: number;
  /** Null until the trial's run is created. */
  runId: string | null;
  /** Config path → value for this trial (e.g. `optimizer.learning_rate`). */
  settings: Record<string, unknown>;
  /** The monitored metric's best value so far (null before the first evaluation). */
  objective: number | null;
  status: TrialStatus;
  /** Successive-halving rung the trial reached (0 = first). */
  rung: number;
}

export interface SweepSummary {
  id: string;
  name: string;
  status: SweepStatus;
  createdAt: number;
  method: 'grid' | 'random';
  objective: { monitor: string; mode: 'min' | 'max' };
  trialCount: number;
  finishedCount: number;
  best: { runId: string; value: number } | null;
}

export interface SweepDetail extends SweepSummary {
  /** The search space as given (config path → list or range). */
  space: Record<string, unknown>;
  /** Ranked by the objective, best first; trials without a value last. */
  trials: SweepTrial[];
  /** One paragraph: what was run, what was pruned by successive halving and why. */
  summary: string;
}

export type TrainerEvent =
  | { type: 'metrics'; runId: string; points: MetricPoint[] }
  | { type: 'status'; runId: string; status: RunStatus; step: number; error?: string }
  | { type: 'devices'; runId: string; devices: DeviceStats[] }
  | { type: 'checkpoint'; runId: string; checkpoint: CheckpointInfo }
  | { type: 'optimizer-stats'; runId: string; points: OptimizerStatsPoint[] }
  | { type: 'device-history'; runId: string; points: DeviceHistoryPoint[] }
  | { type: 'worker-crash'; runId: string; deviceId: number; reason: string }
  | { type: 'sweep'; sweepId: string };

/** Every method rejects with an ApiError (src/shared/errors.ts): `{code, message, issues?}`. */
export interface TrainerApi {
  listDevices(): Promise<DeviceInfo[]>;
  listDatasets(): Promise<DatasetInfo[]>;
  /** Empty when the config is valid. */
  validateRunConfig(config: RunConfig): Promise<ConfigIssue[]>;
  startRun(config: RunConfig): Promise<{ runId: string }>;
  pauseRun(runId: string): Promise<void>;
  resumeRun(runId: string): Promise<void>;
  stopRun(runId: string): Promise<void>;
  listRuns(): Promise<RunSummary[]>;
  getRun(runId: string): Promise<RunDetail>;
  getMetrics(runId: string, sinceStep?: number): Promise<MetricPoint[]>;
  /** Only the config keys (dotted paths) whose values differ between the runs. */
  diffConfigs(runIds: string[]): Promise<ConfigDiff[]>;
  exportMetricsCsv(runId: string): Promise<string>;
  /**
   * Writes model.keras, model.json + weights.bin, optimizer.json (Keras 3), metrics.csv and run.json;
   * returns the folder. Without `outDir`, a new folder per run under the engine's exports folder; a
   * non-empty `outDir` is refused unless `force`.
   */
  exportRun(
    runId: string,
    outDir?: string,
    options?: { force?: boolean; checkpointStep?: number },
  ): Promise<{ dir: string; files: string[] }>;
  /**
   * The run's checkpoint (default: the best, else the newest; or the one at `checkpointStep`) as a Keras 3
   * `.keras` archive, base64 (for a browser download).
   */
  exportKerasArchive(runId: string, checkpointStep?: number): Promise<{ fileName: string; base64: string }>;
  /** Loss and metrics of the checkpoint at `step` on the run's held-out data (else its training data). */
  evaluateCheckpoint(runId: string, step: number): Promise<CheckpointEvaluation>;
  /** Adadelta's per-variable state every `optimizerStatsEvery` steps; with `sinceStep`, only later steps. */
  getOptimizerStats(runId: string, sinceStep?: number): Promise<OptimizerStatsPoint[]>;
  /** Per-device step time, throughput and memory over the run, with the memory estimate. */
  getDeviceHistory(runId: string): Promise<DeviceHistory>;
  /**
   * Stores an uploaded `.keras` archive (base64) where the engine can read it, after checking it reads
   * as a Keras 3 archive; the returned path goes into a run config's `"model": {"type": "keras", "path"}`.
   */
  importKerasArchive(fileName: string, base64: string): Promise<{ path: string }>;
  /** Learning rate at steps 0..steps-1 for a setting (number or schedule dict), for the preview chart. */
  previewLearningRate(setting: LearningRateSetting, steps: number): Promise<number[]>;
  /** Parses a Keras Adadelta optimizer config JSON (as Python writes it) into our normalized config; rejects (invalid-input) with Keras's text. */
  importOptimizerConfig(json: string): Promise<{ config: Record<string, unknown> }>;
  /** Every sweep, newest first. */
  listSweeps(): Promise<SweepSummary[]>;
  /** One sweep with its trials ranked by the objective. */
  getSweep(sweepId: string): Promise<SweepDetail>;
  /** What a data source holds (examples, feature shape, classes with counts), read without starting a run. */
  describeDataSource(source: DataSource): Promise<DataSourceSummary>;
  /** Renames a run (1..200 characters after trimming). */
  renameRun(runId: string, name: string): Promise<RunSummary>;
  setRunNotes(runId: string, notes: string): Promise<void>;
  /** Replaces the run's tags (each 1..40 characters, no commas; at most 20). */
  setRunTags(runId: string, tags: string[]): Promise<RunSummary>;
  /** Deletes the run with its checkpoints, metrics and device stats; refused while it trains. */
  /** `takeOver`: even while another dtrain's lease on the run still binds (docs/leases.md). */
  deleteRun(runId: string, options?: { takeOver?: boolean }): Promise<void>;
  /** What `dtrain doctor` prints: GPUs, CUDA/cuDNN, tfjs-node-gpu, each worker's backend, fixes. */
  doctor(): Promise<DoctorReport>;
}

/** The renderer's view: the API plus live events. */
export interface RendererApi extends TrainerApi {
  onEvent(listener: (event: TrainerEvent) => void): () => void;
}
