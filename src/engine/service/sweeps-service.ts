/** Sweeps: creating one (its trials drawn and each checked), running or resuming it, pausing it, and its records. */
import type { SweepDetail, SweepStatus, SweepSummary, TrainerEvent } from '../../shared/api';
import { conflict } from '../../shared/errors';
import type { Settings } from '../../shared/settings';
import type { RunStore } from '../store/index';
import { createSweep, type SweepSpec } from '../sweeps/create-sweep';
import { sweepDetail, sweepSummary } from '../sweeps/describe';
import { SweepRunner, type TrialHost } from '../sweeps/sweep-runner';
import type { LeaseHeartbeat } from './lease-heartbeat';
import { describeHolder } from './lease-words';

export interface SweepsServiceOptions {
  store: RunStore;
  settings: Settings;
  /** Starts, resumes, pauses and awaits the trials' runs on the engine's devices. */
  trials: TrialHost;
  /** Renews the lease of every sweep run here; pauses one whose lease was taken over. */
  heartbeat: LeaseHeartbeat;
  emit: (e: TrainerEvent) => void;
  log?: (line: string) => void;
}

export class SweepsService {
  private readonly running = new Map<string, SweepRunner>();

  constructor(private readonly o: SweepsServiceOptions) {}

  /** Stores a sweep (its trials drawn, none run yet); run it with runSweep. */
  async createSweep(spec: SweepSpec): Promise<{ sweepId: string }> {
    const devices = (await this.o.trials.listDevices()).length;
    return { sweepId: await createSweep(this.o.store, spec, devices, this.o.settings) };
  }

  /**
   * Runs (or resumes) a sweep's unfinished trials; resolves with its status. One process runs a sweep
   * at a time, held by its lease (two `sweep resume` would train the same trials twice); `takeOver`
   * takes the lease even from a holder that still looks alive (docs/leases.md).
   */
  async runSweep(sweepId: string, options: { takeOver?: boolean } = {}): Promise<SweepStatus> {
    if (this.running.has(sweepId)) throw conflict(`sweep ${sweepId} is already running here`);
    const { store, heartbeat } = this.o;
    const lease = store.acquireSweepLease(sweepId, undefined, { takeOver: options.takeOver });
    if (!lease.ok)
      throw conflict(
        `sweep ${sweepId} is being run by another dtrain process (${describeHolder(lease.holder)}); pause it there first, or, if that process is gone, resume it with --take-over`,
      );
    const runner = new SweepRunner(store, this.o.trials, sweepId, this.o.emit, this.o.log);
    this.running.set(sweepId, runner);
    heartbeat.keep('sweep', sweepId, () => {
      this.o.log?.(`sweep ${sweepId} was taken over by another dtrain process; this process stops running it`);
      runner.pause();
    });
    try {
      return await runner.run();
    } finally {
      heartbeat.drop('sweep', sweepId);
      this.running.delete(sweepId);
      try {
        store.releaseSweepLease(sweepId);
      } catch (e) {
        this.o.log?.(`sweep ${sweepId}: giving its lease back failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }

  /** Stops starting trials and pauses the running ones after a checkpoint. */
  pauseSweep(sweepId: string): void {
    this.running.get(sweepId)?.pause();
  }

  /** Pauses every running sweep (shutting down). */
  pauseAll(): void {
    for (const runner of this.running.values()) runner.pause();
  }

  async listSweeps(): Promise<SweepSummary[]> {
    return this.o.store.sweepIds().map((id) => sweepSummary(this.o.store.getSweep(id)));
  }

  async getSweep(sweepId: string): Promise<SweepDetail> {
    return sweepDetail(this.o.store.getSweep(sweepId));
  }
}
