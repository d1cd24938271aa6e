/**
 * Runs a sweep's trials: in parallel on disjoint device groups when a trial needs fewer devices than
 * there are, else one after another. Each trial is an ordinary run; after each of its evaluations the
 * successive-halving rule may prune it. Finished trials (completed, pruned, failed) are never run
 * again, so a killed or paused sweep resumes where it was.
 */
import type { DeviceInfo, MetricPoint, RunConfig, SweepStatus, TrainerEvent } from '../../shared/api';
import type { RunStore, SweepRecord, TrialRecord } from '../store/index';
import type { EvaluationHook } from '../coordinator/run-controller';
import { monitoredValue } from '../coordinator/early-stop-monitor';
import { isEvalStep } from '../config/evaluation-config';
import { isBetter, keepsAtRung, rungAt } from '../../core/sweeps/halving';
import { withSettings } from '../../core/sweeps/config-path';
import { isFinished } from './describe';
import { invalidInput } from '../../shared/errors';

/** What the runner needs of the trainer service. */
export interface TrialHost {
  listDevices(): Promise<DeviceInfo[]>;
  startRun(config: RunConfig, options: { onEvaluation: EvaluationHook; deviceIds: number[] }): Promise<{ runId: string }>;
  resumeRun(runId: string, options: { onEvaluation: EvaluationHook; deviceIds: number[] }): Promise<void>;
  pauseRun(runId: string): Promise<void>;
  waitForRun(runId: string): Promise<string>;
}

export class SweepRunner {
  private paused = false;
  private readonly active = new Set<string>();

  constructor(
    private readonly store: RunStore,
    private readonly host: TrialHost,
    private readonly sweepId: string,
    private readonly emit: (e: TrainerEvent) => void,
    private readonly log?: (line: string) => void,
  ) {}

  /** Runs every unfinished trial; resolves with the sweep's status ('paused' after pause()). */
  async run(): Promise<SweepStatus> {
    const sweep = this.store.getSweep(this.sweepId);
    this.setStatus('running');
    const groups = deviceGroups(await this.host.listDevices(), sweep.options.devicesPerTrial);
    const queue = sweep.trials.filter((t) => !isFinished(t));
    const lanes = groups.map(async (deviceIds) => {
      for (let t = queue.shift(); t && !this.paused; t = queue.shift()) await this.runTrial(sweep, t, deviceIds);
    });
    await Promise.all(lanes);
    const trials = this.store.getSweep(this.sweepId).trials;
    // Completed only when every trial is: one that was paused, stopped or could not start leaves the
    // sweep paused, and `sweep resume` goes on with it.
    const status: SweepStatus = !trials.every(isFinished)
      ? 'paused'
      : trials.every((t) => t.pruned || t.runStatus === 'failed') && trials.some((t) => t.runStatus === 'failed')
        ? 'failed'
        : 'completed';
    this.setStatus(status);
    return status;
  }

  /** Stops starting trials and pauses the running ones (each writes a checkpoint). */
  pause(): void {
    this.paused = true;
    for (const runId of this.active) void this.host.pauseRun(runId).catch(() => undefined);
  }

  private async runTrial(sweep: SweepRecord, trial: TrialRecord, deviceIds: number[]): Promise<void> {
    const config = trialConfig(sweep, trial, deviceIds.length);
    const onEvaluation = this.halving(sweep, trial, config);
    let runId = trial.runId;
    try {
      if (runId) {
        await this.host.resumeRun(runId, { onEvaluation, deviceIds });
      } else {
        runId = (await this.host.startRun(config, { onEvaluation, deviceIds })).runId;
        this.store.setTrialRun(this.sweepId, trial.index, runId);
      }
    } catch (e) {
      this.log?.(`sweep ${this.sweepId} trial #${trial.index}: ${(e as Error).message}`);
      return;
    }
    this.active.add(runId);
    this.emit({ type: 'sweep', sweepId: this.sweepId });
    if (this.paused) void this.host.pauseRun(runId).catch(() => undefined);
    const status = await this.host.waitForRun(runId);
    this.active.delete(runId);
    this.log?.(`sweep ${this.sweepId} trial #${trial.index} run ${runId} ${status}`);
    this.emit({ type: 'sweep', sweepId: this.sweepId });
  }

  /** After each evaluation: record the trial's best value so far; at a rung, keep it or prune it. */
  private halving(sweep: SweepRecord, trial: TrialRecord, config: RunConfig): EvaluationHook {
    const { monitor, mode } = sweep;
    const rule = { eta: sweep.options.eta, minEvals: sweep.options.minEvals };
    let best: number | null = null;
    return ({ step, evaluations, point }) => {
      best ??= this.bestBefore(trial, config, monitor, mode, step);
      const value = monitoredValue(point, monitor);
      if (best === null || Number.isNaN(best) || isBetter(value, best, mode)) best = value;
      this.store.setTrialObjective(this.sweepId, trial.index, best);
      this.emit({ type: 'sweep', sweepId: this.sweepId });
      const rung = rungAt(evaluations, rule);
      if (rung === null || step >= config.steps) return { stop: false };
      const objective = best;
      const kept = this.store.recordRung(this.sweepId, rung, trial.index, objective, (earlier) =>
        keepsAtRung(objective, earlier, rule, mode),
      );
      if (kept) return { stop: false };
      return {
        stop: true,
        reason: `pruned at step ${step} by successive halving: rung ${rung} (${evaluations} evaluations), ${monitor} ${objective.toPrecision(6)} not in the top 1/${rule.eta}`,
      };
    };
  }

  /** The trial's best monitored value before `step` (a resumed trial's history), or null. */
  private bestBefore(trial: TrialRecord, config: RunConfig, monitor: string, mode: 'min' | 'max', step: number): number | null {
    const runId = this.store.getSweep(this.sweepId).trials[trial.index]?.runId;
    if (!runId) return null;
    let best: number | null = null;
    for (const p of this.store.getMetrics(runId)) {
      if (p.step >= step || !isEvaluation(p, monitor, config)) continue;
      const v = monitoredValue(p, monitor);
      if (best === null || isBetter(v, best, mode)) best = v;
    }
    return best;
  }

  private setStatus(status: SweepStatus): void {
    this.store.setSweepStatus(this.sweepId, status);
    this.emit({ type: 'sweep', sweepId: this.sweepId });
  }
}

function isEvaluation(p: MetricPoint, monitor: string, config: RunConfig): boolean {
  return monitor.startsWith('val_') ? monitor in p.metrics : isEvalStep(config, p.step);
}

/** A trial's run config: the base with the trial's settings, on a 1-D mesh of its device group. */
export function trialConfig(sweep: SweepRecord, trial: TrialRecord, devices: number): RunConfig {
  const config = withSettings(sweep.baseConfig, trial.settings);
  return { ...config, mesh: `batch=${devices}`, name: `${sweep.name} #${trial.index}` };
}

/** Disjoint groups of `perTrial` devices (one group when a trial needs them all). */
export function deviceGroups(devices: DeviceInfo[], perTrial: number): number[][] {
  // A sweep resumed where there are fewer devices than it was created with (or without --cpu).
  if (perTrial > devices.length) throw invalidInput(`a trial needs ${perTrial} devices but there are ${devices.length}`);
  const groups: number[][] = [];
  for (let i = 0; i + perTrial <= devices.length; i += perTrial)
    groups.push(devices.slice(i, i + perTrial).map((d) => d.deviceId));
  return groups;
}
