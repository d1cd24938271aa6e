/**
 * The runs this process is training: each one's worker mesh and RunController, from launch to its
 * end (completed, paused, stopped or failed), and the pause/stop/abort requests that reach it —
 * including those that arrive while its workers are still starting.
 */
import type { RunConfig, RunMemory, RunStatus, TrainerEvent } from '../../shared/api';
import type { RunStore } from '../store/index';
import type { ProcessHost } from '../coordinator/process-host';
import { MeshSession } from '../coordinator/mesh-session';
import { RunController, type EvaluationHook } from '../coordinator/run-controller';
import { recordFailure } from './run-failure';
import type { RunShape } from '../config/run-shape';
import type { DevicePool } from './device-pool';
import { optimizerStatsEveryOf } from '../config/history-config';
import { conflict } from '../../shared/errors';
import { StoreError } from '../store/index';
import type { LeaseHeartbeat } from './lease-heartbeat';

/** Engine-side options of a run (not part of the renderer API): what a sweep needs. */
export interface LaunchOptions {
  /** Called after every evaluation; may stop the run with a reason (a sweep's pruning). */
  onEvaluation?: EvaluationHook;
  /** Ids of the devices to use (from listDevices), e.g. a sweep's device group; default the first N. */
  deviceIds?: number[];
  /** The memory check's plan (fully sharded or not, the estimate), recorded with the run. */
  memory?: RunMemory;
}

export interface ActiveRunsOptions {
  store: RunStore;
  host: ProcessHost;
  workerEntry: string;
  emit: (e: TrainerEvent) => void;
  /** Gives a mesh of `size` its devices (or the given ones). */
  devices: Pick<DevicePool, 'forMesh'>;
  /** Renews the lease of every run trained here; tells a run whose lease was taken over. */
  heartbeat: LeaseHeartbeat;
  log?: (line: string) => void;
}

interface ActiveRun {
  /** The run's workers from the moment they are forked: an abort while they start reaches them. */
  session?: MeshSession;
  controller?: RunController;
  done: Promise<RunStatus>;
  /** A pause, stop or abort asked for while the workers were still starting. */
  request?: 'pause' | 'stop' | 'abort';
  /** Why this process lost the run: another process took its lease over (`resume --take-over`). */
  takenOver?: string;
  /** The step a resume restored (from the newest valid checkpoint); null if it failed before. */
  restored: Promise<number | null>;
  setRestored: (step: number | null) => void;
}

export class ActiveRuns {
  private readonly runs = new Map<string, ActiveRun>();

  constructor(private readonly o: ActiveRunsOptions) {}

  has(runId: string): boolean {
    return this.runs.has(runId);
  }

  ids(): string[] {
    return [...this.runs.keys()];
  }

  /** Resolves when the run's current activity ends; undefined when this process is not training it. */
  done(runId: string): Promise<RunStatus> | undefined {
    return this.runs.get(runId)?.done;
  }

  /** The step the run's current resume continues from, once its checkpoint is restored (null: it failed first). */
  restored(runId: string): Promise<number | null> {
    return this.runs.get(runId)?.restored ?? Promise.resolve(null);
  }

  /**
   * Starts training the parsed run in the background (its lease already claimed); `resume` restores its
   * newest checkpoint first.
   */
  launch(runId: string, run: RunShape, resume: boolean, previousConfig?: RunConfig, options: LaunchOptions = {}): void {
    let setRestored: (step: number | null) => void = () => undefined;
    const restored = new Promise<number | null>((resolve) => (setRestored = resolve));
    const entry: ActiveRun = { done: Promise.resolve('running'), restored, setRestored };
    entry.done = this.drive(runId, run, resume, entry, previousConfig, options).finally(() => {
      entry.setRestored(null);
      this.runs.delete(runId);
    });
    this.runs.set(runId, entry);
    this.o.heartbeat.keep('run', runId, () => this.takenOver(runId, entry));
  }

  /** Another process took the run over: stop training it here at once, and write nothing more to it. */
  private takenOver(runId: string, entry: ActiveRun): void {
    const lease = this.o.store.runLease(runId);
    entry.takenOver = `run ${runId} was taken over by another dtrain process${lease ? ` (pid ${lease.pid} on ${lease.host})` : ''}; this process stopped training it`;
    this.o.log?.(entry.takenOver);
    if (entry.controller) entry.controller.abort();
    else entry.session?.abort();
  }

  /** Pause or stop after the current steps (with a checkpoint); a run not trained here is a conflict. */
  request(runId: string, what: 'pause' | 'stop'): void {
    const a = this.runs.get(runId);
    if (!a) throw conflict(`run ${runId} is not running`);
    if (!a.controller) a.request = what;
    else if (what === 'pause') a.controller.pause();
    else a.controller.stop();
  }

  /** Kills the run's workers at once: no waiting for the current steps, a checkpoint or a stalled worker. */
  abort(runId: string): void {
    const a = this.runs.get(runId);
    if (!a) return;
    a.request = 'abort';
    if (a.controller) a.controller.abort();
    else a.session?.abort();
  }

  /** Pauses every active run (each writes a checkpoint) and waits for them. */
  async pauseAll(): Promise<void> {
    for (const id of this.runs.keys()) this.request(id, 'pause');
    await Promise.allSettled([...this.runs.values()].map((a) => a.done));
  }

  private async drive(
    runId: string,
    run: RunShape,
    resume: boolean,
    entry: ActiveRun,
    previousConfig?: RunConfig,
    options: LaunchOptions = {},
  ): Promise<RunStatus> {
    const { store, emit } = this.o;
    const { config, mesh } = run;
    let session: MeshSession | undefined;
    try {
      const devices = await this.o.devices.forMesh(mesh.size, options.deviceIds);
      store.updateRun(runId, { status: 'running', error: null, ...(options.memory ? { memory: options.memory } : {}) });
      emit({ type: 'status', runId, status: 'running', step: store.getRun(runId).step });
      session = await MeshSession.launch({
        host: this.o.host,
        workerEntry: this.o.workerEntry,
        mesh,
        devices,
        log: this.o.log,
        stallTimeoutMs: run.watchdogMs,
      });
      entry.session = session;
      session.onFailure((e) => emit({ type: 'worker-crash', runId, deviceId: e.deviceId, reason: e.message }));
      if (entry.request === 'abort') session.abort();
      await session.ready({
        model: config.model,
        data: run.packedData,
        layouts: config.layouts ?? {},
        optimizer: config.optimizer,
        emaFirstStep: run.emaFirstStep,
        globalBatchSize: config.globalBatchSize,
        seed: config.seed,
        compute: run.compute,
        optimizerStatsEvery: optimizerStatsEveryOf(config),
        fullySharded: options.memory?.fullySharded ?? config.fullySharded === true,
        reshardAfterForward: config.reshardAfterForward !== false,
      });
      const hasValidation = config.data.validation !== undefined && config.data.validation !== null;
      const controller = new RunController(
        { store, runId, config, session, emit, hasValidation, onEvaluation: options.onEvaluation },
        0,
      );
      entry.setRestored(resume ? await controller.restoreLatest() : 0);
      entry.controller = controller;
      if (entry.request === 'pause') controller.pause();
      if (entry.request === 'stop') controller.stop();
      if (entry.request === 'abort') controller.abort();
      emit({ type: 'devices', runId, devices: await session.stats() });
      return await controller.run();
    } catch (e) {
      if (e instanceof StoreError && e.kind === 'lease-lost') entry.takenOver ??= `run ${runId}: ${e.message}`;
      if (entry.takenOver) {
        // The run belongs to the process that took it over: its row, checkpoints and metrics are not ours to write.
        emit({ type: 'status', runId, status: 'failed', step: entry.controller?.currentStep ?? 0, error: entry.takenOver });
        return 'failed';
      }
      if (entry.request === 'abort') return this.stoppedAtCheckpoint(runId);
      const error = e instanceof Error ? e.message : String(e);
      this.o.log?.(`run ${runId} failed: ${error}`);
      if (previousConfig && !(entry.controller?.checkpointsWritten ?? 0))
        this.tryWrite(() => store.updateRun(runId, { config: previousConfig }));
      const step = recordFailure(store, runId, error, this.o.log) ?? entry.controller?.currentStep ?? 0;
      emit({ type: 'status', runId, status: 'failed', step, error });
      return 'failed';
    } finally {
      this.o.heartbeat.drop('run', runId);
      // The workers go down even when the failure was the store's (a full disk), and neither a
      // worker's complaint about closing nor a lease that cannot be written hides the run's end.
      await session
        ?.close()
        .catch((e: unknown) => this.o.log?.(`run ${runId}: closing the workers: ${e instanceof Error ? e.message : String(e)}`));
      this.tryWrite(() => store.releaseRunLease(runId));
    }
  }

  /**
   * An aborted run (a second Ctrl-C) ends `stopped` at its newest checkpoint, where a resume goes on:
   * its step and metric history are rewound there now, so what is printed and shown is where it stands.
   */
  private stoppedAtCheckpoint(runId: string): RunStatus {
    const { store, emit } = this.o;
    const newest = store.listCheckpoints(runId).at(-1);
    if (newest) store.rewindTo(runId, newest.id);
    else store.rewindToStart(runId);
    const { step } = store.updateRun(runId, { status: 'stopped', error: null });
    emit({ type: 'status', runId, status: 'stopped', step });
    return 'stopped';
  }

  /** A store write on the way out of a failed run: logged, never thrown over the run's own error. */
  private tryWrite(write: () => unknown): void {
    try {
      write();
    } catch (e) {
      this.o.log?.(`store write failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}
