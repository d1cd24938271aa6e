/**
 * Drives one run: steps in chunks on the mesh session, metrics into the store and out as events,
 * periodic checkpoints with retention, pause/stop with a final checkpoint, resume (on any mesh) from
 * the newest valid checkpoint with the metric history rewound to it in the same transaction.
 */
import type { RunStore } from '../store/index';
import type { MetricPoint, RunConfig, RunStatus, TrainerEvent } from '../../shared/api';
import type { StepReport } from '../../shared/worker-protocol';
import type { MeshSession } from './mesh-session';
import { shardsForDevice, toCheckpointTensors } from './checkpoint-shards';
import { RunDivergedError, firstNonFinite, nonFiniteCause } from './divergence';
import { EarlyStopMonitor } from './early-stop-monitor';
import { earlyStoppingRule, isEvalStep, nextEvalStep } from '../config/evaluation-config';
import { RunHistoryRecorder, paceDelayMs } from './run-history';

/** What a caller (a sweep) may decide after an evaluation: go on, or stop the run with a reason. */
export type EvaluationHook = (e: {
  step: number;
  evaluations: number;
  point: MetricPoint;
}) => { stop: false } | { stop: true; reason: string };

export interface RunControllerOptions {
  store: RunStore;
  runId: string;
  config: RunConfig;
  session: MeshSession;
  emit: (event: TrainerEvent) => void;
  /** Steps per call into the workers; pause/stop take effect between chunks. */
  chunkSteps?: number;
  /** The run has held-out data (data.validation): evaluations add val_* figures. */
  hasValidation?: boolean;
  onEvaluation?: EvaluationHook;
}

export class RunController {
  private request: 'pause' | 'stop' | 'abort' | null = null;
  /** The step of the newest checkpoint of this run (restored or written): a pause there adds none. */
  private checkpointedStep = -1;
  private step: number;
  private pending: MetricPoint[] = [];
  private readonly perDeviceMs = new Map<number, number>();
  /** Adadelta's figures and the per-device samples, written and streamed with the metrics. */
  private readonly history: RunHistoryRecorder;
  private lastFlush = 0;
  /** A checkpoint left its data in the WAL; copy it into the main file while the workers compute. */
  private walPending = false;
  /** Checkpoints this controller wrote (a resume on a new mesh is committed to it by the first). */
  checkpointsWritten = 0;
  private readonly earlyStop: EarlyStopMonitor | null;
  private evaluations = 0;
  /** Why the run ended before its last step (early stopping, a sweep's pruning). */
  private stopReason: string | null = null;

  constructor(
    private readonly o: RunControllerOptions,
    startStep: number,
  ) {
    this.step = startStep;
    const rule = earlyStoppingRule(o.config);
    this.earlyStop = rule ? new EarlyStopMonitor(rule) : null;
    this.history = new RunHistoryRecorder(o.store, o.runId, o.emit);
    o.session.onEvent((e) => {
      if (e.type !== 'step') return;
      this.perDeviceMs.set(e.deviceId, e.report.stepTimeMs);
      this.history.observe(e.deviceId, e.report);
      if (e.deviceId === o.session.mesh.deviceIds[0]) this.record(e.report);
    });
  }

  get currentStep(): number {
    return this.step;
  }

  /** Restores parameters and optimizer state from the newest valid checkpoint, resharding as needed. */
  async restoreLatest(): Promise<number> {
    const { store, runId, session } = this.o;
    const { checkpoint } = store.latestValidCheckpoint(runId);
    if (!checkpoint) {
      store.rewindToStart(runId); // killed before its first checkpoint: replay from scratch, no stale rows
      return 0;
    }
    store.rewindTo(runId, checkpoint.id);
    const layouts = await session.variableLayouts();
    await session.importShards(
      (deviceId) => shardsForDevice(checkpoint.tensors, layouts, session.mesh, deviceId),
      checkpoint.iterations,
    );
    this.step = checkpoint.step;
    this.checkpointedStep = checkpoint.step;
    this.replayEvaluations();
    return checkpoint.step;
  }

  /** Counts the evaluations before the restored step again (early stopping's state, a sweep's rungs). */
  private replayEvaluations(): void {
    const points = this.o.store.getMetrics(this.o.runId).filter((p) => p.step <= this.step && this.evaluates(p.step));
    this.evaluations = points.length;
    this.earlyStop?.replay(points, () => true);
  }

  /** Whether an evaluation runs after `step`: only when there is something to evaluate or monitor. */
  private evaluates(step: number): boolean {
    return (
      (this.o.hasValidation || this.earlyStop !== null || this.o.onEvaluation !== undefined) && isEvalStep(this.o.config, step)
    );
  }

  pause(): void {
    this.request ??= 'pause';
  }

  stop(): void {
    if (this.request !== 'abort') this.request = 'stop';
  }

  /** Kills the workers at once; the run ends `stopped` at its last checkpoint (later steps are redone on resume). */
  abort(): void {
    this.request = 'abort';
    this.o.session.abort();
  }

  get aborted(): boolean {
    return this.request === 'abort';
  }

  /** Trains until the last step, a pause or a stop; returns the final status. Throws if a worker dies. */
  async run(): Promise<RunStatus> {
    const { store, runId, config, emit } = this.o;
    const every = config.checkpointEvery ?? 0;
    store.updateRun(runId, { status: 'running', step: this.step, error: null, stopReason: null });
    emit({ type: 'status', runId, status: 'running', step: this.step });
    let finalBest = false;
    let ended: 'early-stopped' | 'hook' | null = null;
    while (this.step < config.steps && !this.request && !ended) {
      finalBest = false;
      const nextCheckpoint = every > 0 ? (Math.floor(this.step / every) + 1) * every : config.steps;
      const count = Math.min(
        this.o.chunkSteps ?? 5,
        config.steps - this.step,
        nextCheckpoint - this.step,
        nextEvalStep(config, this.step) - this.step,
      );
      const chunkStarted = Date.now();
      const training = this.o.session.train(this.step, count);
      const walError = this.copyWalIfPending();
      const report = await training;
      await sleep(paceDelayMs(count, config.minStepMs, Date.now() - chunkStarted));
      // A store write that failed meanwhile (a full disk) ends the run only now, with the workers idle.
      if (walError ?? this.writeError) throw walError ?? this.writeError;
      // Workers end a chunk early at a non-finite step; the report says which step that was.
      this.step = report ? report.step + 1 : this.step + count;
      this.flush(true);
      const cause = report && nonFiniteCause(report);
      if (cause) throw new RunDivergedError(this.step, cause, this.o.store.listCheckpoints(runId).at(-1)?.step ?? null);
      const evaluation = this.evaluates(this.step) ? await this.evaluate() : null;
      if (evaluation?.stop) ended = evaluation.stop;
      const periodic = every > 0 && this.step % every === 0;
      // With early stopping every evaluation is checkpointed, so the best one exists to keep and restore.
      const wanted = periodic || (evaluation !== null && this.earlyStop !== null);
      if (this.step < config.steps && !ended && !this.request && wanted) await this.checkpoint({ best: evaluation?.improved });
      else finalBest = evaluation?.improved ?? false;
    }
    this.history.flush(true);
    if (this.earlyStop?.rule.restoreBest && (this.step >= config.steps || ended === 'early-stopped') && !finalBest)
      await this.restoreBest();
    // A pause that lands on a scheduled checkpoint's step has its checkpoint already.
    if (this.checkpointedStep !== this.step) await this.checkpoint({ best: finalBest });
    const walError = this.copyWalIfPending();
    if (walError) throw walError;
    const status: RunStatus =
      this.step >= config.steps || ended === 'early-stopped'
        ? 'completed'
        : this.request === 'stop' || ended
          ? 'stopped'
          : 'paused';
    store.updateRun(runId, { status, step: this.step, stopReason: this.stopReason });
    emit({ type: 'status', runId, status, step: this.step });
    return status;
  }

  /**
   * Evaluates the held-out set (when there is one), merges val_* into this step's point, and feeds
   * early stopping and the caller's hook.
   */
  private async evaluate(): Promise<{ improved: boolean; stop: 'early-stopped' | 'hook' | null }> {
    const { store, runId, session, emit } = this.o;
    let point: MetricPoint | undefined = store.getMetrics(runId, this.step - 1)[0];
    if (this.o.hasValidation) {
      const r = await session.evaluate();
      const figures = { val_loss: r.loss, ...Object.fromEntries(Object.entries(r.metrics).map(([k, v]) => [`val_${k}`, v])) };
      point = store.mergeMetrics(runId, this.step, figures) ?? undefined;
      if (point) emit({ type: 'metrics', runId, points: [point] });
    }
    if (!point) return { improved: false, stop: null };
    this.evaluations += 1;
    const verdict = this.earlyStop?.observe(this.step, point) ?? { improved: false, stop: false };
    if (verdict.stop) {
      this.stopReason = this.earlyStop!.reason(this.step);
      return { improved: verdict.improved, stop: 'early-stopped' };
    }
    const hook = this.o.onEvaluation?.({ step: this.step, evaluations: this.evaluations, point });
    if (hook?.stop) {
      this.stopReason = hook.reason;
      return { improved: verdict.improved, stop: 'hook' };
    }
    return { improved: verdict.improved, stop: null };
  }

  /** Loads the best evaluation's checkpoint into the workers: the run ends in that state (restoreBest). */
  private async restoreBest(): Promise<void> {
    const { store, runId, session } = this.o;
    const best = store.defaultCheckpoint(runId).checkpoint;
    if (!best || best.step === this.step) return;
    const layouts = await session.variableLayouts();
    await session.importShards((deviceId) => shardsForDevice(best.tensors, layouts, session.mesh, deviceId), best.iterations);
    this.restoredFrom = best.step;
  }

  private restoredFrom: number | null = null;
  /** A metrics write that failed inside a worker event; the loop rethrows it after the chunk. */
  private writeError: unknown = null;

  /** Saves every variable of every device as one durable transaction, keeping the newest K (and the best). */
  async checkpoint(options: { best?: boolean } = {}): Promise<void> {
    const { store, runId, config, session, emit } = this.o;
    const records = await session.exportShards();
    const bad = firstNonFinite(records);
    if (bad) {
      throw new RunDivergedError(this.step, `${bad.path} holds ${bad.value}`, store.listCheckpoints(runId).at(-1)?.step ?? null);
    }
    const iterations = records.find((r) => r.path === 'optimizer/iteration')?.data[0] ?? this.step;
    const restored = this.restoredFrom !== null ? { restoredBestFrom: this.restoredFrom } : {};
    const info = store.writeCheckpoint(
      runId,
      {
        step: this.step,
        iterations,
        mesh: session.mesh.toString(),
        tensors: toCheckpointTensors(records, session.mesh.toString()),
        state: { dataCursor: this.step, seed: config.seed, globalBatchSize: config.globalBatchSize, ...restored },
      },
      { keep: config.keepCheckpoints ?? 3, copyWal: false, best: options.best ?? false },
    );
    this.walPending = true;
    this.checkpointsWritten += 1;
    this.checkpointedStep = this.step;
    emit({ type: 'checkpoint', runId, checkpoint: info });
    const devices = (await session.stats()).map((d) => ({ ...d, stepTimeMs: this.perDeviceMs.get(d.deviceId) ?? d.stepTimeMs }));
    store.appendDeviceStats(runId, this.step, devices);
    emit({ type: 'devices', runId, devices });
  }

  /**
   * The commit made the checkpoint durable in the WAL; copying the WAL into the main file is the
   * other half of the write's cost, done here while the workers train the next chunk (the
   * coordinator is idle then) instead of stalling the loop.
   */
  private copyWalIfPending(): unknown {
    if (!this.walPending) return null;
    this.walPending = false;
    try {
      this.o.store.checkpointWal();
      return null;
    } catch (e) {
      return e;
    }
  }

  private record(r: StepReport): void {
    this.history.record(r);
    const samplesPerSec = r.stepTimeMs > 0 ? (r.count * 1000) / r.stepTimeMs : 0;
    this.pending.push({
      step: r.step + 1,
      loss: r.loss,
      metrics: r.metrics,
      learningRate: r.learningRate,
      gradNorm: r.gradNorm,
      stepTimeMs: r.stepTimeMs,
      samplesPerSec,
      time: Date.now(),
    });
    try {
      this.flush(false);
    } catch (e) {
      this.writeError ??= e; // thrown from the training loop: this runs inside a worker event
    }
  }

  /** Batches metric rows into one transaction and one event roughly every 250 ms (with the run's other history). */
  private flush(force: boolean): void {
    if (this.pending.length === 0 || (!force && Date.now() - this.lastFlush < 250)) return;
    const points = this.pending;
    this.pending = [];
    this.lastFlush = Date.now();
    this.o.store.appendMetrics(this.o.runId, points);
    this.o.store.updateRun(this.o.runId, { step: points[points.length - 1]!.step });
    this.o.emit({ type: 'metrics', runId: this.o.runId, points });
    this.history.flush(false);
  }
}

const sleep = (ms: number) => (ms > 0 ? new Promise<void>((resolve) => setTimeout(resolve, ms)) : Promise.resolve());
