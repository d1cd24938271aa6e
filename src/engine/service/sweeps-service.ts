/** Sweeps: creating one (its trials drawn and each checked), running or resuming it, pausing it, and its records. */
import type { SweepDetail, SweepStatus, SweepSummary, TrainerEvent } from '../../shared/api';
import { conflict } from '../../shared/errors';
import type { Settings } from '../../shared/settings';
import type { RunStore } from '../store/index';
import { createSweep, type SweepSpec } from '../sweeps/create-sweep';
import { sweepDetail, sweepSummary } from '../sweeps/describe';
import { SweepRunner, type TrialHost } from '../sweeps/sweep-runner';

export interface SweepsServiceOptions {
  store: RunStore;
  settings: Settings;
  /** Starts, resumes, pauses and awaits the trials' runs on the engine's devices. */
  trials: TrialHost;
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

  /** Runs (or resumes) a sweep's unfinished trials; resolves with its status. */
  async runSweep(sweepId: string): Promise<SweepStatus> {
    if (this.running.has(sweepId)) throw conflict(`sweep ${sweepId} is already running here`);
    this.o.store.getSweep(sweepId);
    const runner = new SweepRunner(this.o.store, this.o.trials, sweepId, this.o.emit, this.o.log);
    this.running.set(sweepId, runner);
    try {
      return await runner.run();
    } finally {
      this.running.delete(sweepId);
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
