/**
 * DEVELOPMENT ONLY: a small in-memory TrainerApi that fakes training (decaying loss with noise), used
 * to look at the UI (tests/renderer/screenshots.ts) before the real service exists. Never the backend
 * of a committed e2e test: those run against createTrainerService.
 */
import type {
  CheckpointInfo,
  ConfigIssue,
  DeviceInfo,
  DeviceStats,
  LearningRateSetting,
  MetricPoint,
  RunConfig,
  RunDetail,
  RunStatus,
  TrainerApi,
  TrainerEvent,
} from '../../src/shared/api';
import { deserialize, scheduleSeries } from '../../src/core/optimizers/schedules';
import { sampleDoctorReport } from './doctor-sample';
import { invalidInput } from '../../src/shared/errors';

interface DevRun {
  detail: RunDetail;
  points: MetricPoint[];
  timer: ReturnType<typeof setInterval> | null;
  rng: () => number;
}

const GiB = 1024 ** 3;
const DEVICES: DeviceInfo[] = [
  { deviceId: 0, label: 'GPU 0 (NVIDIA RTX A4000)', kind: 'GPU', memoryBytes: 16 * GiB },
  { deviceId: 1, label: 'GPU 1 (NVIDIA RTX A4000)', kind: 'GPU', memoryBytes: 16 * GiB },
  { deviceId: 2, label: 'CPU worker 2', kind: 'CPU', memoryBytes: 32 * GiB },
  { deviceId: 3, label: 'CPU worker 3', kind: 'CPU', memoryBytes: 32 * GiB },
];

function mulberry(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function flatten(value: unknown, prefix: string, out: Map<string, unknown>): void {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else out.set(prefix, value);
}

function lrAt(setting: unknown, step: number): number {
  if (typeof setting === 'number') return setting;
  return deserialize(setting as never).call(step);
}

export interface DevApi extends TrainerApi {
  subscribe(listener: (e: TrainerEvent) => void): () => void;
  simulateCrash(runId: string, deviceId: number): void;
  /** Adds a finished run with `points` metric points (for the 100k-point check). */
  seedRun(name: string, points: number, config?: Partial<RunConfig>): string;
  shutdown(): Promise<void>;
}

export function createDevApi(options: { stepsPerTick?: number; tickMs?: number } = {}): DevApi {
  const runs = new Map<string, DevRun>();
  const listeners = new Set<(e: TrainerEvent) => void>();
  const emit = (e: TrainerEvent): void => listeners.forEach((l) => l(e));
  let counter = 0;
  const meshSize = (mesh: string): number => mesh.split(',').reduce((n, part) => n * Number(part.split('=')[1] ?? 1), 1);

  const makeRun = (config: RunConfig, status: RunStatus): DevRun => {
    counter += 1;
    const id = `run-${counter}`;
    const now = Date.now();
    const detail: RunDetail = {
      id,
      name: config.name ?? `run ${counter}`,
      status,
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
    };
    const run: DevRun = { detail, points: [], timer: null, rng: mulberry(config.seed + counter) };
    runs.set(id, run);
    return run;
  };

  const point = (run: DevRun, step: number, time: number): MetricPoint => {
    const lr = lrAt(run.detail.config.optimizer.learning_rate, step);
    const loss = 1.1 * Math.exp(-step / (run.detail.steps / 4)) + 0.05 + 0.04 * (run.rng() - 0.5);
    return {
      step,
      loss,
      time,
      learningRate: lr,
      gradNorm: 2 * Math.exp(-step / run.detail.steps) + 0.3 * run.rng(),
      metrics: { accuracy: Math.min(1, 0.33 + 0.67 * (1 - Math.exp(-step / (run.detail.steps / 5))) + 0.02 * (run.rng() - 0.5)) },
      stepTimeMs: 4 + run.rng() * 1.5,
      samplesPerSec: run.detail.config.globalBatchSize * (200 + 30 * run.rng()),
    };
  };

  const deviceStats = (run: DevRun): DeviceStats[] =>
    Array.from({ length: meshSize(run.detail.mesh) }, (_, i) => ({
      deviceId: i,
      pid: 40000 + i,
      backend: i < 2 ? 'tensorflow' : 'wasm',
      shardBytes: 1_234_567 / (i + 1),
      rssBytes: 310_000_000 + i * 1_000_000,
      stepTimeMs: 4 + run.rng(),
    }));

  const setStatus = (run: DevRun, status: RunStatus): void => {
    run.detail.status = status;
    emit({ type: 'status', runId: run.detail.id, status, step: run.detail.step });
  };

  const checkpoint = (run: DevRun): void => {
    const c: CheckpointInfo = {
      id: run.detail.checkpoints.length + 1,
      step: run.detail.step,
      createdAt: Date.now(),
      bytes: 3_700_000,
    };
    run.detail.checkpoints.push(c);
    run.detail.checkpoints = run.detail.checkpoints.slice(-(run.detail.config.keepCheckpoints ?? 3));
    emit({ type: 'checkpoint', runId: run.detail.id, checkpoint: c });
  };

  const tick = (run: DevRun): void => {
    const batch: MetricPoint[] = [];
    for (let i = 0; i < (options.stepsPerTick ?? 5) && run.detail.step < run.detail.steps; i++) {
      const p = point(run, run.detail.step, Date.now());
      run.points.push(p);
      batch.push(p);
      run.detail.step += 1;
      run.detail.lastLoss = p.loss;
      const every = run.detail.config.checkpointEvery ?? 0;
      if (every > 0 && run.detail.step % every === 0) checkpoint(run);
    }
    emit({ type: 'metrics', runId: run.detail.id, points: batch });
    if (run.detail.step % 50 < (options.stepsPerTick ?? 5)) {
      run.detail.devices = deviceStats(run);
      emit({ type: 'devices', runId: run.detail.id, devices: run.detail.devices });
    }
    if (run.detail.step >= run.detail.steps) {
      stopTimer(run);
      setStatus(run, 'completed');
    }
  };
  const startTimer = (run: DevRun): void => {
    run.timer = setInterval(() => tick(run), options.tickMs ?? 50);
    run.detail.devices = deviceStats(run);
    setStatus(run, 'running');
    emit({ type: 'devices', runId: run.detail.id, devices: run.detail.devices });
  };
  const stopTimer = (run: DevRun): void => {
    if (run.timer) clearInterval(run.timer);
    run.timer = null;
  };
  const summary = ({ detail: { config: _c, checkpoints: _k, devices: _d, error: _e, notes: _n, ...rest }, points }: DevRun) => ({
    ...rest,
    durationMs: points.length > 1 ? points[points.length - 1].time - points[0].time : null,
  });
  const get = (id: string): DevRun => {
    const run = runs.get(id);
    if (!run) throw new Error(`no run with id ${id}`);
    return run;
  };

  return {
    subscribe: (l) => (listeners.add(l), () => void listeners.delete(l)),
    async listDevices() {
      return DEVICES;
    },
    async listDatasets() {
      return [
        { name: 'iris', kind: 'builtin', description: 'Iris flowers: 150 examples, 4 measurements, 3 species; z-scored' },
        { name: 'spirals', kind: 'synthetic', description: 'k interleaved 2-D spiral arms, one class each' },
        { name: 'synthetic-shapes', kind: 'synthetic', description: '8×8×1 images of bars, crosses and boxes, for the CNN' },
      ];
    },
    async validateRunConfig(config) {
      const issues: ConfigIssue[] = [];
      if (meshSize(config.mesh) > DEVICES.length)
        issues.push({ path: 'mesh', message: `mesh needs ${meshSize(config.mesh)} devices; ${DEVICES.length} available` });
      if (config.globalBatchSize % meshSize(config.mesh) !== 0)
        issues.push({ path: 'globalBatchSize', message: 'must divide evenly over the batch dimension' });
      if (!Array.isArray(config.model.layers)) issues.push({ path: 'model.layers', message: 'is required' });
      return issues;
    },
    async startRun(config) {
      const run = makeRun(config, 'created');
      startTimer(run);
      return { runId: run.detail.id };
    },
    async pauseRun(id) {
      const run = get(id);
      stopTimer(run);
      checkpoint(run);
      setStatus(run, 'paused');
    },
    async resumeRun(id) {
      startTimer(get(id));
    },
    async stopRun(id) {
      const run = get(id);
      stopTimer(run);
      checkpoint(run);
      setStatus(run, 'stopped');
    },
    async listRuns() {
      return [...runs.values()].map(summary);
    },
    async getRun(id) {
      return structuredClone(get(id).detail);
    },
    async getMetrics(id, sinceStep) {
      return get(id).points.filter((p) => sinceStep === undefined || p.step > sinceStep);
    },
    async diffConfigs(ids) {
      const flat = ids.map((id) => {
        const m = new Map<string, unknown>();
        flatten(get(id).detail.config, '', m);
        return m;
      });
      const keys = [...new Set(flat.flatMap((m) => [...m.keys()]))].sort();
      return keys
        .map((path) => ({ path, values: flat.map((m) => m.get(path)) }))
        .filter((d) => new Set(d.values.map((v) => JSON.stringify(v))).size > 1);
    },
    async exportMetricsCsv(id) {
      return ['step,loss,learning_rate', ...get(id).points.map((p) => `${p.step},${p.loss},${p.learningRate}`)].join('\n');
    },
    async exportRun(id, outDir) {
      return { dir: outDir ?? `/tmp/dtrain-export/${id}`, files: ['model.json', 'weights.bin', 'optimizer.json', 'metrics.csv'] };
    },
    async importKerasArchive(fileName: string) {
      return { path: `/tmp/dtrain-archives/${fileName}` };
    },
    async exportKerasArchive(id: string) {
      return { fileName: `${id}.keras`, base64: btoa('PK') };
    },
    async previewLearningRate(setting: LearningRateSetting, steps: number) {
      if (typeof setting === 'number') return new Array(steps).fill(setting);
      return [...scheduleSeries(deserialize(setting as never), steps)];
    },
    async evaluateCheckpoint(id: string) {
      throw invalidInput(`the dev API does not evaluate checkpoints (run ${id})`);
    },
    async getOptimizerStats() {
      return [];
    },
    async getDeviceHistory() {
      return { memoryEstimateBytes: null, points: [] };
    },
    async doctor() {
      return sampleDoctorReport();
    },
    async listSweeps() {
      return [];
    },
    async getSweep(sweepId): Promise<never> {
      throw new Error(`no sweep ${sweepId}`);
    },
    async importOptimizerConfig(json) {
      let config: unknown;
      try {
        config = JSON.parse(json);
      } catch (err) {
        throw invalidInput(`not valid JSON: ${(err as Error).message}`);
      }
      if (typeof config !== 'object' || config === null || Array.isArray(config))
        throw invalidInput('the optimizer config must be a JSON object');
      return { config: config as Record<string, unknown> };
    },
    async describeDataSource() {
      return {
        unit: 'rows' as const,
        examples: 150,
        featureShape: [4],
        task: 'classification' as const,
        classes: ['setosa', 'versicolor', 'virginica'].map((name) => ({ name, count: 50 })),
      };
    },
    async renameRun(id, name) {
      get(id).detail.name = name;
      return summary(get(id));
    },
    async setRunNotes(id, notes) {
      get(id).detail.notes = notes;
    },
    async setRunTags(id, tags) {
      get(id).detail.tags = [...tags];
      return summary(get(id));
    },
    async deleteRun(id) {
      const run = get(id);
      if (run.timer) throw new Error(`run ${id} is training; stop it before deleting it`);
      runs.delete(id);
    },
    simulateCrash(runId, deviceId) {
      const run = get(runId);
      emit({ type: 'worker-crash', runId, deviceId, reason: 'killed by signal SIGKILL (exit code null)' });
      stopTimer(run);
      run.detail.error = `worker for device ${deviceId} crashed`;
      setStatus(run, 'failed');
    },
    seedRun(name, count, config = {}) {
      const base: RunConfig = {
        name,
        model: { type: 'mlp', layers: [] },
        data: { kind: 'builtin', name: 'iris' },
        mesh: 'batch=2',
        optimizer: { learning_rate: 1.0, rho: 0.95 },
        steps: count,
        globalBatchSize: 64,
        seed: 0,
        checkpointEvery: 0,
        keepCheckpoints: 3,
        ...config,
      };
      const run = makeRun(base, 'completed');
      const t0 = Date.now() - count * 5;
      for (let s = 0; s < count; s++) run.points.push(point(run, s, t0 + s * 5));
      run.detail.step = count;
      run.detail.lastLoss = run.points[count - 1]?.loss ?? null;
      return run.detail.id;
    },
    async shutdown() {
      for (const run of runs.values()) stopTimer(run);
    },
  };
}
