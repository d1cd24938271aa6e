/**
 * Data and config helpers behind the New-run form and `dtrain evaluate`: the builtin datasets, what a
 * data source holds, a run's checkpoint evaluated on any data, the learning-rate preview and the
 * import of a Keras optimizer config.
 */
import type {
  CheckpointEvaluation,
  DataSource,
  DataSourceSummary,
  DatasetInfo,
  DeviceHistory,
  LearningRateSetting,
  OptimizerStatsPoint,
} from '../../shared/api';
import { invalidInput } from '../../shared/errors';
import { requireId } from './runs-service';
import type { Settings } from '../../shared/settings';
import { describeDataSource } from '../../datasets/describe-source';
import { listBuiltinDatasets } from '../../datasets/load';
import type { RunStore } from '../store/index';
import { importOptimizerConfig, previewLearningRate } from './config-tools';
import { evaluateRun, type EvaluationResult } from './evaluate-run';

export interface DataServiceOptions {
  store: RunStore;
  settings: Settings;
}

export class DataService {
  constructor(private readonly o: DataServiceOptions) {}

  async listDatasets(): Promise<DatasetInfo[]> {
    return listBuiltinDatasets().map((d) => ({
      name: d.name,
      kind: d.origin === 'file' ? 'builtin' : 'synthetic',
      description: d.description,
    }));
  }

  /** A missing file or a bad source is a DatasetError (invalid-input) where it is found; anything else is the engine's. */
  async describeDataSource(source: DataSource): Promise<DataSourceSummary> {
    return describeDataSource(source);
  }

  /** Loss and metrics of a checkpoint (default: the best, else the newest) on any data (default: held-out, else training). */
  async evaluateRun(runId: string, options: { data?: unknown; checkpointStep?: number } = {}): Promise<EvaluationResult> {
    return evaluateRun(this.o.store, runId, this.o.settings, options);
  }

  async evaluateCheckpoint(runId: string, step: number): Promise<CheckpointEvaluation> {
    if (!Number.isSafeInteger(step)) throw invalidInput(`a checkpoint step must be an integer (got ${JSON.stringify(step)})`);
    return evaluateRun(this.o.store, requireId(runId), this.o.settings, { checkpointStep: step });
  }

  async getOptimizerStats(runId: string, sinceStep?: number): Promise<OptimizerStatsPoint[]> {
    if (sinceStep !== undefined && !Number.isSafeInteger(sinceStep))
      throw invalidInput(`sinceStep must be an integer (got ${JSON.stringify(sinceStep)})`);
    return this.o.store.getOptimizerStats(requireId(runId), sinceStep);
  }

  /**
   * Each device's samples over time, beside the memory check's estimate of one worker's peak, as the
   * run's latest start recorded it (null for a run from before runs recorded it).
   */
  async getDeviceHistory(runId: string): Promise<DeviceHistory> {
    const { memory } = this.o.store.getRun(requireId(runId));
    return { memoryEstimateBytes: memory?.estimateBytes ?? null, points: this.o.store.getDeviceHistory(runId) };
  }

  async previewLearningRate(setting: LearningRateSetting, steps: number): Promise<number[]> {
    return previewLearningRate(setting, steps);
  }

  async importOptimizerConfig(json: string) {
    return importOptimizerConfig(json);
  }
}
