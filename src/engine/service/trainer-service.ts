/**
 * The engine behind every front end (Electron window, `dtrain serve`, the CLI): the typed TrainerApi
 * of src/shared/api.ts over four services with one job each — runs (runs-service.ts), sweeps
 * (sweeps-service.ts), exports (export-service.ts), data and config helpers (data-service.ts) — plus
 * the devices they share, the doctor, and the live events.
 */
import type {
  CheckpointEvaluation,
  ConfigIssue,
  DataSource,
  DataSourceSummary,
  DatasetInfo,
  DeviceHistory,
  DeviceInfo,
  LearningRateSetting,
  MetricPoint,
  OptimizerStatsPoint,
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
import type { Settings } from '../../shared/settings';
import type { RunStore } from '../store/index';
import type { ProcessHost } from '../coordinator/process-host';
import type { SweepSpec } from '../sweeps/create-sweep';
import type { LaunchOptions } from './active-runs';
import { DataService } from './data-service';
import { DevicePool } from './device-pool';
import type { EvaluationResult } from './evaluate-run';
import { ExportService } from './export-service';
import { RunsService } from './runs-service';
import { SweepsService } from './sweeps-service';
import { LeaseHeartbeat } from './lease-heartbeat';

export interface TrainerServiceOptions {
  store: RunStore;
  host: ProcessHost;
  workerEntry: string;
  /** This process's DTRAIN_* settings, read once at its edge (src/shared/settings.ts). */
  settings: Settings;
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
  private readonly devices: DevicePool;
  private readonly runs: RunsService;
  private readonly sweeps: SweepsService;
  private readonly exports: ExportService;
  private readonly data: DataService;

  constructor(private readonly o: TrainerServiceOptions) {
    const { store, settings, log } = o;
    this.devices = new DevicePool({ cpuOnly: o.cpuOnly, freeMemory: o.freeMemory });
    const heartbeat = new LeaseHeartbeat(store, log);
    this.runs = new RunsService({
      heartbeat,
      store,
      host: o.host,
      workerEntry: o.workerEntry,
      settings,
      devices: this.devices,
      emit: this.emit,
      log,
    });
    const trials = {
      listDevices: () => this.devices.list(),
      startRun: (config: RunConfig, options: LaunchOptions) => this.runs.startRun(config, options),
      resumeRun: (runId: string, options: LaunchOptions) => this.runs.resumeRun(runId, options),
      pauseRun: (runId: string) => this.runs.pauseRun(runId),
      waitForRun: (runId: string) => this.runs.waitForRun(runId),
    };
    this.sweeps = new SweepsService({ store, settings, trials, heartbeat, emit: this.emit, log });
    this.exports = new ExportService({ store, settings, exportDir: o.exportDir });
    this.data = new DataService({ store, settings });
  }

  subscribe(listener: (e: TrainerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit = (e: TrainerEvent): void => this.listeners.forEach((l) => l(e));

  // Devices and the doctor.
  listDevices = (): Promise<DeviceInfo[]> => this.devices.list();
  async doctor(): Promise<DoctorReport> {
    const { runDoctor } = await import('../doctor/index');
    return runDoctor({ settings: this.o.settings });
  }

  // Runs.
  validateRunConfig = (config: RunConfig): Promise<ConfigIssue[]> => this.runs.validateRunConfig(config);
  startRun = (config: RunConfig, options?: LaunchOptions): Promise<{ runId: string }> => this.runs.startRun(config, options);
  resumeRun = (runId: string, options?: { mesh?: string; steps?: number; takeOver?: boolean } & LaunchOptions): Promise<void> =>
    this.runs.resumeRun(runId, options);
  pauseRun = (runId: string): Promise<void> => this.runs.pauseRun(runId);
  stopRun = (runId: string): Promise<void> => this.runs.stopRun(runId);
  resumedFrom = (runId: string): Promise<number | null> => this.runs.resumedFrom(runId);
  abortRun = (runId: string): Promise<void> => this.runs.abortRun(runId);
  waitForRun = (runId: string): Promise<RunStatus> => this.runs.waitForRun(runId);
  listRuns = (): Promise<RunSummary[]> => this.runs.listRuns();
  getRun = (runId: string): Promise<RunDetail> => this.runs.getRun(runId);
  getMetrics = (runId: string, sinceStep?: number): Promise<MetricPoint[]> => this.runs.getMetrics(runId, sinceStep);
  diffConfigs = (runIds: string[]) => this.runs.diffConfigs(runIds);
  renameRun = (runId: string, name: string): Promise<RunSummary> => this.runs.renameRun(runId, name);
  setRunNotes = (runId: string, notes: string): Promise<void> => this.runs.setRunNotes(runId, notes);
  setRunTags = (runId: string, tags: string[]): Promise<RunSummary> => this.runs.setRunTags(runId, tags);
  deleteRun = (runId: string, options?: { takeOver?: boolean }): Promise<void> => this.runs.deleteRun(runId, options);

  // Sweeps.
  createSweep = (spec: SweepSpec): Promise<{ sweepId: string }> => this.sweeps.createSweep(spec);
  runSweep = (sweepId: string, options?: { takeOver?: boolean }): Promise<SweepStatus> => this.sweeps.runSweep(sweepId, options);
  pauseSweep = (sweepId: string): void => this.sweeps.pauseSweep(sweepId);
  listSweeps = (): Promise<SweepSummary[]> => this.sweeps.listSweeps();
  getSweep = (sweepId: string): Promise<SweepDetail> => this.sweeps.getSweep(sweepId);

  // Exports.
  exportMetricsCsv = (runId: string): Promise<string> => this.exports.exportMetricsCsv(runId);
  exportRun = (runId: string, outDir?: string, options?: { force?: boolean; checkpointStep?: number }) =>
    this.exports.exportRun(runId, outDir, options);
  exportCluster = (runId: string, dir: string, options?: { force?: boolean }) => this.exports.exportCluster(runId, dir, options);
  exportKeras = (runId: string, file: string, options?: { force?: boolean }) => this.exports.exportKeras(runId, file, options);
  exportKerasArchive = (runId: string, checkpointStep?: number) => this.exports.exportKerasArchive(runId, checkpointStep);
  importKerasArchive = (fileName: string, base64: string) => this.exports.importKerasArchive(fileName, base64);

  // Data and config helpers.
  listDatasets = (): Promise<DatasetInfo[]> => this.data.listDatasets();
  describeDataSource = (source: DataSource): Promise<DataSourceSummary> => this.data.describeDataSource(source);
  evaluateRun = (runId: string, options?: { data?: unknown; checkpointStep?: number }): Promise<EvaluationResult> =>
    this.data.evaluateRun(runId, options);
  evaluateCheckpoint = (runId: string, step: number): Promise<CheckpointEvaluation> => this.data.evaluateCheckpoint(runId, step);
  getOptimizerStats = (runId: string, sinceStep?: number): Promise<OptimizerStatsPoint[]> =>
    this.data.getOptimizerStats(runId, sinceStep);
  getDeviceHistory = (runId: string): Promise<DeviceHistory> => this.data.getDeviceHistory(runId);
  previewLearningRate = (setting: LearningRateSetting, steps: number): Promise<number[]> =>
    this.data.previewLearningRate(setting, steps);
  importOptimizerConfig = (json: string) => this.data.importOptimizerConfig(json);

  /** Pauses every active sweep and run (each run writes a checkpoint) and waits for them. */
  async shutdown(): Promise<void> {
    this.sweeps.pauseAll();
    await this.runs.pauseAll();
  }
}
