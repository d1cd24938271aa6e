/**
 * A small, real TrainerApi for transport and server tests only: runs are records in a Map, metrics
 * are whatever the test pushes. It records every call, so tests can assert what reached the engine.
 */
import type { CheckpointEvaluation, MetricPoint, RunConfig, RunDetail, TrainerApi, TrainerEvent } from '../../../src/shared/api';
import { sampleDoctorReport } from '../../renderer/doctor-sample';
import { invalidInput, notFound } from '../../../src/shared/errors';

export class FakeTrainer implements TrainerApi {
  readonly calls: { method: string; args: unknown[] }[] = [];
  private readonly runs = new Map<string, RunDetail>();
  private readonly metrics = new Map<string, MetricPoint[]>();
  private readonly listeners = new Set<(e: TrainerEvent) => void>();

  subscribe = (listener: (e: TrainerEvent) => void): (() => void) => {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  };

  get listenerCount(): number {
    return this.listeners.size;
  }

  emit(event: TrainerEvent): void {
    for (const l of this.listeners) l(event);
  }

  /** Not part of TrainerApi: must never be reachable through the transport. */
  shutdown(): Promise<void> {
    this.calls.push({ method: 'shutdown', args: [] });
    return Promise.resolve();
  }

  private record(method: string, args: unknown[]): void {
    this.calls.push({ method, args });
  }

  private run(runId: string): RunDetail {
    const run = this.runs.get(runId);
    if (!run) throw notFound(`unknown run ${runId}`);
    return run;
  }

  async listDevices() {
    this.record('listDevices', []);
    return [{ deviceId: 0, label: 'CPU worker 0', kind: 'CPU' as const, memoryBytes: 1024 }];
  }
  async listDatasets() {
    return [{ name: 'iris', kind: 'builtin' as const, description: 'flowers' }];
  }
  async validateRunConfig(config: RunConfig) {
    this.record('validateRunConfig', [config]);
    return config.steps > 0 ? [] : [{ path: 'steps', message: 'must be ≥ 1' }];
  }
  async startRun(config: RunConfig) {
    this.record('startRun', [config]);
    const id = `run-${this.runs.size + 1}`;
    const now = 1_700_000_000_000;
    this.runs.set(id, {
      id,
      name: config.name ?? id,
      status: 'running',
      createdAt: now,
      updatedAt: now,
      step: 0,
      steps: config.steps,
      lastLoss: null,
      mesh: config.mesh,
      tags: [],
      durationMs: null,
      config,
      checkpoints: [],
      devices: [],
      error: null,
      notes: '',
    });
    this.metrics.set(id, []);
    return { runId: id };
  }
  async pauseRun(runId: string) {
    this.record('pauseRun', [runId]);
    this.run(runId).status = 'paused';
  }
  async resumeRun(runId: string) {
    this.run(runId).status = 'running';
  }
  async stopRun(runId: string) {
    this.run(runId).status = 'stopped';
  }
  async listRuns() {
    return [...this.runs.values()].map(
      ({ id, name, status, createdAt, updatedAt, step, steps, lastLoss, mesh, tags, durationMs }) => ({
        id,
        name,
        status,
        createdAt,
        updatedAt,
        step,
        steps,
        lastLoss,
        mesh,
        tags,
        durationMs,
      }),
    );
  }
  async getRun(runId: string) {
    return this.run(runId);
  }
  async getMetrics(runId: string, sinceStep?: number) {
    this.record('getMetrics', [runId, sinceStep].slice(0, sinceStep === undefined ? 1 : 2));
    return (this.metrics.get(runId) ?? []).filter((p) => sinceStep === undefined || p.step > sinceStep);
  }
  pushMetrics(runId: string, points: MetricPoint[]): void {
    this.metrics.get(runId)?.push(...points);
  }
  async diffConfigs(runIds: string[]) {
    const steps = runIds.map((id) => this.run(id).config.steps);
    return new Set(steps).size > 1 ? [{ path: 'steps', values: steps }] : [];
  }
  async exportMetricsCsv(runId: string) {
    return `step,loss\n${(this.metrics.get(runId) ?? []).map((p) => `${p.step},${p.loss}`).join('\n')}`;
  }
  async exportRun(runId: string, outDir?: string) {
    return { dir: outDir ?? `/exports/${runId}`, files: ['model.json', 'weights.bin', 'optimizer.json', 'metrics.csv'] };
  }
  async importKerasArchive(fileName: string) {
    return { path: `/archives/${fileName}` };
  }
  async exportKerasArchive(runId: string) {
    return { fileName: `${runId}.keras`, base64: Buffer.from('PK').toString('base64') };
  }
  async previewLearningRate(setting: unknown, steps: number) {
    if (typeof setting !== 'number') throw new TypeError('only constants here');
    return new Array<number>(steps).fill(setting);
  }
  async evaluateCheckpoint(runId: string, step: number): Promise<CheckpointEvaluation> {
    this.record('evaluateCheckpoint', [runId, step]);
    this.run(runId);
    throw notFound(`run ${runId} has no checkpoint at step ${step}`);
  }
  async getOptimizerStats(runId: string) {
    this.run(runId);
    return [];
  }
  async getDeviceHistory(runId: string) {
    this.run(runId);
    return { memoryEstimateBytes: null, points: [] };
  }
  async doctor() {
    return sampleDoctorReport();
  }
  async listSweeps() {
    return [];
  }
  async getSweep(sweepId: string): Promise<never> {
    throw new Error(`no sweep ${sweepId}`);
  }
  async describeDataSource(source: unknown) {
    this.record('describeDataSource', [source]);
    return {
      unit: 'rows' as const,
      examples: 150,
      featureShape: [4],
      task: 'classification' as const,
      classes: [{ name: '0', count: 150 }],
    };
  }
  async renameRun(runId: string, name: string) {
    this.record('renameRun', [runId, name]);
    this.run(runId).name = name;
    return (await this.listRuns()).find((r) => r.id === runId)!;
  }
  async setRunNotes(runId: string, notes: string) {
    this.record('setRunNotes', [runId, notes]);
    this.run(runId).notes = notes;
  }
  async setRunTags(runId: string, tags: string[]) {
    this.record('setRunTags', [runId, tags]);
    this.run(runId).tags = [...tags];
    return (await this.listRuns()).find((r) => r.id === runId)!;
  }
  async deleteRun(runId: string) {
    this.record('deleteRun', [runId]);
    this.run(runId);
    this.runs.delete(runId);
    this.metrics.delete(runId);
  }
  async importOptimizerConfig(json: string) {
    try {
      return { config: JSON.parse(json) as Record<string, unknown> };
    } catch (err) {
      throw invalidInput(`not valid JSON: ${(err as Error).message}`);
    }
  }
}

export function point(step: number, loss: number): MetricPoint {
  return {
    step,
    loss,
    metrics: { accuracy: 0.5 },
    learningRate: 1,
    gradNorm: 0.1,
    stepTimeMs: 2,
    samplesPerSec: 1000,
    time: 1_700_000_000_000 + step,
  };
}

export const CONFIG: RunConfig = {
  name: 'test',
  model: { type: 'mlp', input: [4], layers: [{ type: 'dense', units: 3 }], loss: 'softmax_cross_entropy' },
  data: { kind: 'builtin', name: 'iris' },
  mesh: 'batch=1',
  optimizer: { learning_rate: 1.0 },
  steps: 10,
  globalBatchSize: 8,
  seed: 0,
};
