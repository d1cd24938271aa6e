/**
 * Runs: validating and starting them (one parse of the config: parseRun), resuming, pausing,
 * stopping and aborting them, and their records (list, detail, metrics, labels, deletion). One
 * process trains a run at a time, held by its lease in the store.
 */
import type { ConfigIssue, MetricPoint, RunConfig, RunDetail, RunStatus, RunSummary, TrainerEvent } from '../../shared/api';
import { conflict, describeIssues, invalidInput, notFound } from '../../shared/errors';
import type { Settings } from '../../shared/settings';
import type { RunStore } from '../store/index';
import type { ProcessHost } from '../coordinator/process-host';
import { resumeCompute } from '../config/compute';
import { parseRun, type ResolvedRun } from '../config/parse-run';
import { ActiveRuns, type LaunchOptions } from './active-runs';
import { diffConfigs } from './config-tools';
import type { DevicePool } from './device-pool';
import { checkRunName, checkRunNotes, checkRunTags } from './run-labels';
import { withLiveness } from './run-liveness';
import type { LeaseHeartbeat } from './lease-heartbeat';
import { describeHolder } from './lease-words';

export interface RunsServiceOptions {
  store: RunStore;
  host: ProcessHost;
  workerEntry: string;
  settings: Settings;
  devices: DevicePool;
  heartbeat: LeaseHeartbeat;
  emit: (e: TrainerEvent) => void;
  log?: (line: string) => void;
}

export class RunsService {
  private readonly active: ActiveRuns;

  constructor(private readonly o: RunsServiceOptions) {
    this.active = new ActiveRuns({
      store: o.store,
      host: o.host,
      workerEntry: o.workerEntry,
      log: o.log,
      emit: o.emit,
      devices: o.devices,
      heartbeat: o.heartbeat,
    });
  }

  /** Whether this process trains the run now. */
  isActive(runId: string): boolean {
    return this.active.has(runId);
  }

  async validateRunConfig(config: RunConfig): Promise<ConfigIssue[]> {
    if (typeof config !== 'object' || config === null || Array.isArray(config))
      throw invalidInput('the run config must be a JSON object');
    const parsed = await parseRun(config, { settings: this.o.settings });
    if (Array.isArray(parsed)) return parsed;
    // The New-run form warns before start with the reason a start would be refused.
    const plan = await this.o.devices.planMemory(parsed);
    return plan?.problem ? [{ path: 'mesh', message: plan.problem }] : [];
  }

  /**
   * The config is parsed once (parseRun) and everything after takes the result. A model from a Keras
   * archive starts from the archive's state: it is stored as the run's step-0 checkpoint and loaded
   * like any resume.
   */
  async startRun(raw: RunConfig, options: LaunchOptions = {}): Promise<{ runId: string }> {
    const run = orRefuse(await parseRun(raw, { settings: this.o.settings }));
    const memory = await this.o.devices.refuseIfTooBig(run);
    const { config, initial } = run;
    const runId = this.o.store.createRun(config, { name: config.name, parentId: config.parent ?? null });
    if (initial) this.o.store.writeCheckpoint(runId, initial, { keep: config.keepCheckpoints! });
    this.claim(runId);
    this.active.launch(runId, run, initial !== null, undefined, { ...options, memory });
    return { runId };
  }

  /**
   * Continues a paused, stopped or failed run from its newest valid checkpoint, optionally on another
   * mesh, on the compute path it recorded (a DTRAIN_* variable set here overrides it, with a note).
   * `takeOver` takes the run's lease even from a holder that still looks alive (docs/leases.md).
   */
  async resumeRun(
    runId: string,
    options: { mesh?: string; steps?: number; takeOver?: boolean } & LaunchOptions = {},
  ): Promise<void> {
    if (this.active.has(runId)) throw conflict(`run ${runId} is already running`);
    const stored = this.o.store.getRun(requireId(runId));
    if (stored.status === 'completed' && !(options.steps && options.steps > stored.steps))
      throw conflict(`run ${runId} has completed all ${stored.steps} steps`);
    if (options.steps !== undefined && options.steps <= stored.step) {
      throw invalidInput(
        `run ${runId} is already at step ${stored.step}; --steps must be more than that (it is the run's total, not a number of extra steps)`,
      );
    }
    const { config: onThisPath, notes } = resumeCompute(stored.config, this.o.settings);
    const asked = {
      ...onThisPath,
      ...(options.mesh ? { mesh: options.mesh } : {}),
      ...(options.steps ? { steps: options.steps } : {}),
    };
    const run = orRefuse(await parseRun(asked, { settings: this.o.settings, stored: true }));
    const memory = await this.o.devices.refuseIfTooBig(run); // a resume on fewer devices holds bigger shards
    this.claim(runId, options.takeOver);
    for (const note of notes) this.o.log?.(`run ${runId}: note: ${note}`);
    // The new mesh, steps or compute path are saved now (the dashboard shows them) but put back if the
    // resume fails before it checkpoints on them, so a failed `resume --devices N` does not poison a plain resume.
    const changed = JSON.stringify(run.config) !== JSON.stringify(stored.config);
    if (changed) this.o.store.updateRun(runId, { config: run.config });
    this.active.launch(runId, run, true, changed ? stored.config : undefined, { ...options, memory });
  }

  async pauseRun(runId: string): Promise<void> {
    this.refuseElsewhere(runId, 'pause');
    this.request(runId, 'pause');
  }

  async stopRun(runId: string): Promise<void> {
    // Marking it stopped here would not stop the other process, and the row would lie.
    this.refuseElsewhere(runId, 'stop');
    if (!this.active.has(runId)) {
      const { status, step } = this.o.store.updateRun(requireId(runId), { status: 'stopped' });
      this.o.emit({ type: 'status', runId, status, step });
      return;
    }
    this.request(runId, 'stop');
  }

  /** The step the run's current resume continues from, once its checkpoint is restored (null: it failed first). */
  async resumedFrom(runId: string): Promise<number | null> {
    return this.active.restored(runId);
  }

  /**
   * Kills the run's workers at once (a second Ctrl-C): no waiting for the current steps, a checkpoint
   * or a stalled worker. The run ends `stopped` at its last checkpoint.
   */
  async abortRun(runId: string): Promise<void> {
    this.active.abort(runId);
  }

  /** Resolves when the run's current activity ends (completed, paused, stopped or failed). */
  async waitForRun(runId: string): Promise<RunStatus> {
    return this.active.done(runId) ?? this.o.store.getRun(runId).status;
  }

  async listRuns(): Promise<RunSummary[]> {
    return this.o.store.listRuns().map((r) => withLiveness(this.o.store, r, this.active.has(r.id)));
  }

  async getRun(runId: string): Promise<RunDetail> {
    return withLiveness(this.o.store, this.o.store.getRun(requireId(runId)), this.active.has(runId));
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

  async renameRun(runId: string, name: string): Promise<RunSummary> {
    const summary = this.o.store.updateRun(this.known(runId), { name: checkRunName(name) });
    this.o.emit({ type: 'status', runId, status: summary.status, step: summary.step });
    return summary;
  }

  async setRunNotes(runId: string, notes: string): Promise<void> {
    this.o.store.updateRun(this.known(runId), { notes: checkRunNotes(notes) });
  }

  async setRunTags(runId: string, tags: string[]): Promise<RunSummary> {
    return this.o.store.updateRun(this.known(runId), { tags: checkRunTags(tags) });
  }

  /**
   * Deletes a run that no process is training (the store re-checks the lease in its transaction);
   * `takeOver` deletes it even while another holder's lease still binds (docs/leases.md).
   */
  async deleteRun(runId: string, options: { takeOver?: boolean } = {}): Promise<void> {
    this.known(runId);
    if (this.active.has(runId)) throw conflict(`run ${runId} is training; stop it before deleting it`);
    const lease = this.o.store.runLease(runId);
    if (lease?.alive && !lease.mine && !options.takeOver)
      throw conflict(
        `run ${runId} is being trained by another dtrain process (${describeHolder(lease)}); stop it there first, or delete it with --take-over if that process is gone`,
      );
    if (!this.o.store.deleteRun(runId, { takeOver: options.takeOver })) throw notFound(`no run ${runId}`);
  }

  /** Pauses every active run (each writes a checkpoint) and waits for them. */
  async pauseAll(): Promise<void> {
    await this.active.pauseAll();
  }

  /** Only the process that trains a run can pause or stop it: say which one that is. */
  private refuseElsewhere(runId: string, verb: 'pause' | 'stop'): void {
    if (this.active.has(runId)) return;
    const lease = this.o.store.runLease(runId);
    if (lease?.alive && !lease.mine)
      throw conflict(`run ${runId} is trained by another dtrain process (${describeHolder(lease)}); ${verb} it there`);
  }

  /** The run id, or a not-found ApiError (the dashboard shows its message; the CLI exits 2). */
  private known(runId: string): string {
    if (typeof runId !== 'string' || !this.o.store.listRuns().some((r) => r.id === runId))
      throw notFound(`no run ${JSON.stringify(runId)}`);
    return runId;
  }

  private request(runId: string, what: 'pause' | 'stop'): void {
    if (!this.active.has(runId)) this.o.store.getRun(requireId(runId)); // a run that does not exist is not-found, not a conflict
    this.active.request(runId, what);
  }

  /** One process trains a run at a time: another live dtrain (app or CLI) holding it is a clear error. */
  private claim(runId: string, takeOver = false): void {
    const lease = this.o.store.acquireRunLease(runId, undefined, { takeOver });
    if (!lease.ok) {
      throw conflict(
        `run ${runId} is being trained by another dtrain process (${describeHolder(lease.holder)}); pause or stop it there first, or, if that process is gone, resume with --take-over`,
      );
    }
  }
}

/** The parsed run, or its issues as one invalid-input error (the CLI prints them one per line). */
function orRefuse(parsed: ResolvedRun | ConfigIssue[]): ResolvedRun {
  if (Array.isArray(parsed)) throw invalidInput(describeIssues(parsed), parsed);
  return parsed;
}

/** A run id from a caller (IPC, WebSocket, CLI) must be a non-empty string before it reaches SQLite. */
export function requireId(runId: unknown): string {
  if (typeof runId !== 'string' || runId === '')
    throw invalidInput(`a run id must be a non-empty string (got ${JSON.stringify(runId) ?? 'nothing'})`);
  return runId;
}
