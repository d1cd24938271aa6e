/**
 * The engine behind every front end (Electron window, `dtrain serve`, the CLI): runs, their worker
 * meshes, the store, and live events. Implements the typed TrainerApi of src/shared/api.ts.
 */
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { type Mesh } from '../../core/dtensor/mesh';
import type {
  CheckpointEvaluation,
  DeviceHistory,
  OptimizerStatsPoint,
  DataSource,
  DataSourceSummary,
  DatasetInfo,
  DeviceInfo,
  LearningRateSetting,
  MetricPoint,
  RunConfig,
  RunDetail,
  RunStatus,
  RunSummary,
  SweepDetail,
  SweepStatus,
  SweepSummary,
  TrainerApi,
  TrainerEvent,
} from '../../shared/api';
import type { DoctorReport } from '../../shared/doctor';
import type { RunStore } from '../store/index';
import { listBuiltinDatasets } from '../../datasets/load';
import { chooseDevices, cpuDevices, discoverGpus } from '../coordinator/devices';
import { ActiveRuns, type LaunchOptions } from './active-runs';
import type { ProcessHost } from '../coordinator/process-host';
import { checkRunConfig, withDefaults } from '../config/run-config';
import { inlineKerasJson } from '../config/keras-model-file';
import { diffConfigs, importOptimizerConfig, previewLearningRate } from './config-tools';
import { estimateForConfig, estimateWorkerMemory, memoryProblem } from './memory-check';
import type { Model } from '../../core/models/index';
import { exportKeras, exportRun, kerasArchiveBytes } from './export-run';
import { freshDir } from '../export/out-path';
import { exportCluster } from './export-cluster';
import { storeUploadedArchive } from '../keras/uploads';
import { resolveKerasModel } from '../keras/run-model';
import { emaFirstStepFor } from '../keras/ema-first-step';
import { evaluateRun, type EvaluationResult } from './evaluate-run';
import { sweepDetail, sweepSummary } from '../sweeps/describe';
import { SweepRunner } from '../sweeps/sweep-runner';
import { createSweep, type SweepSpec } from '../sweeps/create-sweep';
import { checkRunName, checkRunNotes, checkRunTags } from './run-labels';
import { withLiveness } from './run-liveness';
import { describeDataSource as describeSource } from '../../datasets/describe-source';
import { conflict, describeIssues, invalidInput, notFound } from '../../shared/errors';

export interface TrainerServiceOptions {
  store: RunStore;
  host: ProcessHost;
  workerEntry: string;
  /** Use CPU workers even where GPUs are present. */
  cpuOnly?: boolean;
  /** Where exports go when no folder is given. */
  exportDir: string;
  log?: (line: string) => void;
  /** Free host memory in bytes (default os.freemem); tests pass a fixed figure. */
  freeMemory?: () => number;
}

export type { LaunchOptions } from './active-runs';

export class TrainerService implements TrainerApi {
  private readonly listeners = new Set<(e: TrainerEvent) => void>();
  private readonly runs: ActiveRuns;
  private readonly sweeps = new Map<string, SweepRunner>();
  private gpus: Promise<DeviceInfo[]> | undefined;

  constructor(private readonly o: TrainerServiceOptions) {
    this.runs = new ActiveRuns({
      store: o.store,
      host: o.host,
      workerEntry: o.workerEntry,
      log: o.log,
      emit: (e) => this.emit(e),
      devicesFor: (size, deviceIds) => this.devicesFor(size, deviceIds),
    });
  }

  subscribe(listener: (e: TrainerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit = (e: TrainerEvent): void => this.listeners.forEach((l) => l(e));

  async listDevices(): Promise<DeviceInfo[]> {
    const gpus = await (this.gpus ??= discoverGpus());
    return gpus.length > 0 && !this.o.cpuOnly ? gpus : cpuDevices(cpus().length);
  }

  async listDatasets(): Promise<DatasetInfo[]> {
    return listBuiltinDatasets().map((d) => ({
      name: d.name,
      kind: d.origin === 'file' ? 'builtin' : 'synthetic',
      description: d.description,
    }));
  }

  async validateRunConfig(config: RunConfig) {
    if (typeof config !== 'object' || config === null || Array.isArray(config))
      throw invalidInput('the run config must be a JSON object');
    let resolved: RunConfig;
    try {
      resolved = (await resolveKerasModel(config)).config;
    } catch (e) {
      return [{ path: 'model', message: e instanceof Error ? e.message : String(e) }];
    }
    return (await checkRunConfig(resolved)).issues;
  }

  /**
   * A model from a Keras archive starts from the archive's state: it is stored as the run's step-0
   * checkpoint and loaded like any resume.
   */
  async startRun(raw: RunConfig, options: LaunchOptions = {}): Promise<{ runId: string }> {
    const resolved = await resolveKerasModel(withDefaults(raw));
    const { issues, model, mesh } = await checkRunConfig(resolved.config);
    if (issues.length > 0) throw invalidInput(describeIssues(issues), issues);
    await this.refuseIfTooBig(resolved.config, model, mesh);
    const inlined = inlineKerasJson(resolved.config); // the run keeps the model JSON itself, not a path
    // Stored with the run, so a resume keeps the rule it started with.
    const emaFirstStep = emaFirstStepFor(inlined);
    const config = emaFirstStep ? { ...inlined, emaFirstStep } : inlined;
    const { initial } = resolved;
    if (config.parent !== undefined && typeof config.parent !== 'string') throw invalidInput('parent must be a run id');
    const runId = this.o.store.createRun(config, { name: config.name, parentId: config.parent ?? null });
    if (initial) this.o.store.writeCheckpoint(runId, initial, { keep: config.keepCheckpoints ?? 3 });
    this.claim(runId);
    this.runs.launch(runId, config, initial !== null, undefined, options);
    return { runId };
  }

  /** Continues a paused, stopped or failed run from its newest valid checkpoint, optionally on another mesh. */
  async resumeRun(runId: string, options: { mesh?: string; steps?: number } & LaunchOptions = {}): Promise<void> {
    if (this.runs.has(runId)) throw conflict(`run ${runId} is already running`);
    const run = this.o.store.getRun(requireId(runId));
    if (run.status === 'completed' && !(options.steps && options.steps > run.steps))
      throw conflict(`run ${runId} has completed all ${run.steps} steps`);
    if (options.steps !== undefined && options.steps <= run.step) {
      throw invalidInput(
        `run ${runId} is already at step ${run.step}; --steps must be more than that (it is the run's total, not a number of extra steps)`,
      );
    }
    const config = {
      ...run.config,
      ...(options.mesh ? { mesh: options.mesh } : {}),
      ...(options.steps ? { steps: options.steps } : {}),
    };
    const { issues, model, mesh } = await checkRunConfig(config);
    if (issues.length > 0) throw invalidInput(describeIssues(issues), issues);
    await this.refuseIfTooBig(config, model, mesh); // a resume on fewer devices holds bigger shards
    this.claim(runId);
    // The new mesh/steps are saved now (the dashboard shows them) but put back if the resume fails
    // before it checkpoints on them, so a failed `resume --devices N` does not poison a plain resume.
    const changed = Boolean(options.mesh || options.steps);
    if (changed) this.o.store.updateRun(runId, { config });
    this.runs.launch(runId, config, true, changed ? run.config : undefined, options);
  }

  async pauseRun(runId: string): Promise<void> {
    this.refuseElsewhere(runId, 'pause');
    this.request(runId, 'pause');
  }

  async stopRun(runId: string): Promise<void> {
    // Marking it stopped here would not stop the other process, and the row would lie.
    this.refuseElsewhere(runId, 'stop');
    if (!this.runs.has(runId)) {
      const { status, step } = this.o.store.updateRun(requireId(runId), { status: 'stopped' });
      this.emit({ type: 'status', runId, status, step });
      return;
    }
    this.request(runId, 'stop');
  }

  /** The step the run's current resume continues from, once its checkpoint is restored (null: it failed first). */
  async resumedFrom(runId: string): Promise<number | null> {
    return this.runs.restored(runId);
  }

  /**
   * Kills the run's workers at once (a second Ctrl-C): no waiting for the current steps, a checkpoint
   * or a stalled worker. The run ends `stopped` at its last checkpoint.
   */
  async abortRun(runId: string): Promise<void> {
    this.runs.abort(runId);
  }

  /** Resolves when the run's current activity ends (completed, paused, stopped or failed). */
  async waitForRun(runId: string): Promise<RunStatus> {
    return this.runs.done(runId) ?? this.o.store.getRun(runId).status;
  }

  async listRuns(): Promise<RunSummary[]> {
    return this.o.store.listRuns().map((r) => withLiveness(this.o.store, r, this.runs.has(r.id)));
  }

  async getRun(runId: string): Promise<RunDetail> {
    return withLiveness(this.o.store, this.o.store.getRun(requireId(runId)), this.runs.has(runId));
  }

  async getMetrics(runId: string, sinceStep?: number): Promise<MetricPoint[]> {
    if (sinceStep !== undefined && !Number.isSafeInteger(sinceStep))
      throw invalidInput(`sinceStep must be an integer (got ${JSON.stringify(sinceStep)})`);
    return this.o.store.getMetrics(requireId(runId), sinceStep);
  }

  async diffConfigs(runIds: string[]) {
    if (!Array.isArray(runIds)) throw invalidInput('diffConfigs takes a list of run ids');
    return diffConfigs(runIds.map((id) => this.o.store.getRun(requireId(id)).config));
  }

  async exportMetricsCsv(runId: string): Promise<string> {
    return this.o.store.metricsCsv(requireId(runId));
  }

  /** Without a folder: a new one per run (and per export) under the exports folder, never a shared one. */
  async exportRun(runId: string, outDir?: string, options: { force?: boolean; checkpointStep?: number } = {}) {
    const run = this.o.store.getRun(requireId(runId));
    return exportRun(this.o.store, runId, outDir ?? freshDir(this.o.exportDir, `${safeFileName(run.name)}-${run.id}`), options);
  }

  /** Writes model.keras, data.npz, train.py and import.json for a Keras 3 cluster (CLI `export --cluster`). */
  async exportCluster(runId: string, dir: string, options: { force?: boolean } = {}) {
    return exportCluster(this.o.store, runId, dir, options);
  }

  async importKerasArchive(fileName: string, base64: string) {
    return { path: await storeUploadedArchive(join(dirname(this.o.exportDir), 'archives'), fileName, base64) };
  }

  /** Writes the run's Keras 3 archive to `file` (CLI `export --keras`). */
  async exportKeras(runId: string, file: string, options: { force?: boolean } = {}) {
    return exportKeras(this.o.store, runId, file, options);
  }

  async exportKerasArchive(runId: string, checkpointStep?: number) {
    const run = this.o.store.getRun(requireId(runId));
    const bytes = await kerasArchiveBytes(this.o.store, runId, checkpointStep);
    const at = checkpointStep === undefined ? '' : `-step${checkpointStep}`;
    return { fileName: `${safeFileName(run.name)}${at}.keras`, base64: Buffer.from(bytes).toString('base64') };
  }

  async evaluateCheckpoint(runId: string, step: number): Promise<CheckpointEvaluation> {
    if (!Number.isSafeInteger(step)) throw invalidInput(`a checkpoint step must be an integer (got ${JSON.stringify(step)})`);
    return evaluateRun(this.o.store, requireId(runId), { checkpointStep: step });
  }

  async getOptimizerStats(runId: string, sinceStep?: number): Promise<OptimizerStatsPoint[]> {
    if (sinceStep !== undefined && !Number.isSafeInteger(sinceStep))
      throw invalidInput(`sinceStep must be an integer (got ${JSON.stringify(sinceStep)})`);
    return this.o.store.getOptimizerStats(requireId(runId), sinceStep);
  }

  async getDeviceHistory(runId: string): Promise<DeviceHistory> {
    const { config } = this.o.store.getRun(requireId(runId));
    return { memoryEstimateBytes: estimateForConfig(config), points: this.o.store.getDeviceHistory(runId) };
  }

  async previewLearningRate(setting: LearningRateSetting, steps: number): Promise<number[]> {
    return previewLearningRate(setting, steps);
  }

  async importOptimizerConfig(json: string) {
    return importOptimizerConfig(json);
  }

  async doctor(): Promise<DoctorReport> {
    const { runDoctor } = await import('../doctor/index');
    return runDoctor();
  }

  /** Loss and metrics of a checkpoint (default: the best, else the newest) on any data (default: held-out, else training). */
  async evaluateRun(runId: string, options: { data?: unknown; checkpointStep?: number } = {}): Promise<EvaluationResult> {
    return evaluateRun(this.o.store, runId, options);
  }

  /** Stores a sweep (its trials drawn, none run yet); run it with runSweep. */
  async createSweep(spec: SweepSpec): Promise<{ sweepId: string }> {
    return { sweepId: await createSweep(this.o.store, spec, (await this.listDevices()).length) };
  }

  /** Runs (or resumes) a sweep's unfinished trials; resolves with its status. */
  async runSweep(sweepId: string): Promise<SweepStatus> {
    if (this.sweeps.has(sweepId)) throw conflict(`sweep ${sweepId} is already running here`);
    this.o.store.getSweep(sweepId);
    const runner = new SweepRunner(this.o.store, this, sweepId, this.emit, this.o.log);
    this.sweeps.set(sweepId, runner);
    try {
      return await runner.run();
    } finally {
      this.sweeps.delete(sweepId);
    }
  }

  /** Stops starting trials and pauses the running ones after a checkpoint. */
  pauseSweep(sweepId: string): void {
    this.sweeps.get(sweepId)?.pause();
  }

  async listSweeps(): Promise<SweepSummary[]> {
    return this.o.store.sweepIds().map((id) => sweepSummary(this.o.store.getSweep(id)));
  }

  async getSweep(sweepId: string): Promise<SweepDetail> {
    return sweepDetail(this.o.store.getSweep(sweepId));
  }

  async describeDataSource(source: DataSource): Promise<DataSourceSummary> {
    try {
      return await describeSource(source);
    } catch (e) {
      // A missing file or a bad source is the user's input: one clear line, not an engine failure.
      throw invalidInput(e instanceof Error ? e.message : String(e));
    }
  }

  async renameRun(runId: string, name: string): Promise<RunSummary> {
    const summary = this.o.store.updateRun(this.known(runId), { name: checkRunName(name) });
    this.emit({ type: 'status', runId, status: summary.status, step: summary.step });
    return summary;
  }

  async setRunNotes(runId: string, notes: string): Promise<void> {
    this.o.store.updateRun(this.known(runId), { notes: checkRunNotes(notes) });
  }

  async setRunTags(runId: string, tags: string[]): Promise<RunSummary> {
    return this.o.store.updateRun(this.known(runId), { tags: checkRunTags(tags) });
  }

  /** Deletes a run that no process is training (the store re-checks the lease in its transaction). */
  async deleteRun(runId: string): Promise<void> {
    this.known(runId);
    if (this.runs.has(runId)) throw conflict(`run ${runId} is training; stop it before deleting it`);
    const lease = this.o.store.runLease(runId);
    if (lease?.alive && !lease.mine)
      throw conflict(
        `run ${runId} is being trained by another dtrain process (pid ${lease.pid} on ${lease.host}); stop it there first`,
      );
    if (!this.o.store.deleteRun(runId)) throw notFound(`no run ${runId}`);
  }

  /** Pauses every active run (each writes a checkpoint) and waits for them. */
  async shutdown(): Promise<void> {
    for (const runner of this.sweeps.values()) runner.pause();
    await this.runs.pauseAll();
  }

  /** A run that cannot fit in memory is refused before its row or any worker exists. */
  private async refuseIfTooBig(config: RunConfig, model: Model | undefined, mesh: Mesh | undefined): Promise<void> {
    if (!model || !mesh) return;
    let devices: DeviceInfo[];
    try {
      devices = chooseDevices(mesh.size, await (this.gpus ??= discoverGpus()), { cpu: this.o.cpuOnly });
    } catch {
      return; // too few GPUs: the launch says so
    }
    const problem = memoryProblem(estimateWorkerMemory(model, config, mesh), config, devices, this.o.freeMemory?.());
    if (problem) throw invalidInput(problem);
  }

  /** Only the process that trains a run can pause or stop it: say which one that is. */
  private refuseElsewhere(runId: string, verb: 'pause' | 'stop'): void {
    if (this.runs.has(runId)) return;
    const lease = this.o.store.runLease(runId);
    if (lease?.alive && !lease.mine)
      throw conflict(`run ${runId} is trained by another dtrain process (pid ${lease.pid} on ${lease.host}); ${verb} it there`);
  }

  /** The run id, or a not-found ApiError (the dashboard shows its message; the CLI exits 2). */
  private known(runId: string): string {
    if (typeof runId !== 'string' || !this.o.store.listRuns().some((r) => r.id === runId))
      throw notFound(`no run ${JSON.stringify(runId)}`);
    return runId;
  }

  /** The first `size` devices, or the given ones (a sweep's disjoint groups), each with its own worker. */
  private async devicesFor(size: number, deviceIds?: number[]): Promise<DeviceInfo[]> {
    const gpus = await (this.gpus ??= discoverGpus());
    if (!deviceIds) return chooseDevices(size, gpus, { cpu: this.o.cpuOnly });
    const all = await this.listDevices();
    if (deviceIds.length !== size) throw new Error(`the mesh needs ${size} devices but ${deviceIds.length} were given`);
    return deviceIds.map((id) => {
      const d = all.find((x) => x.deviceId === id);
      if (!d) throw new Error(`no device ${id} (devices: ${all.map((x) => x.deviceId).join(', ')})`);
      return d;
    });
  }

  private request(runId: string, what: 'pause' | 'stop'): void {
    if (!this.runs.has(runId)) this.o.store.getRun(requireId(runId)); // a run that does not exist is not-found, not a conflict
    this.runs.request(runId, what);
  }

  /** One process trains a run at a time: another live dtrain (app or CLI) holding it is a clear error. */
  private claim(runId: string): void {
    const lease = this.o.store.acquireRunLease(runId);
    if (!lease.ok) {
      const { pid, host } = lease.holder;
      throw conflict(
        `run ${runId} is being trained by another dtrain process (pid ${pid} on ${host}); pause or stop it there first`,
      );
    }
  }
}

/** A file-name-safe version of a run name. */
function safeFileName(name: string): string {
  return name.replace(/[^\w.-]+/g, '_').replace(/^_+|_+$/g, '') || 'run';
}

/** A run id from a caller (IPC, WebSocket, CLI) must be a non-empty string before it reaches SQLite. */
function requireId(runId: unknown): string {
  if (typeof runId !== 'string' || runId === '')
    throw invalidInput(`a run id must be a non-empty string (got ${JSON.stringify(runId) ?? 'nothing'})`);
  return runId;
}
