/** A stored sweep as the API shows it: summary, trials ranked by the objective, one paragraph of what happened. */
import type { SweepDetail, SweepSummary, SweepTrial, TrialStatus } from '../../shared/api';
import type { SweepRecord, TrialRecord } from '../store/index';
import { rankTrials } from '../../core/sweeps/ranking';
import { describeHalving } from '../../core/sweeps/halving';

export function trialStatus(t: TrialRecord): TrialStatus {
  if (t.pruned) return 'pruned';
  return t.runStatus ?? 'pending';
}

/** A trial is finished when it will not train further: completed, pruned or failed. */
export function isFinished(t: TrialRecord): boolean {
  const s = trialStatus(t);
  return s === 'completed' || s === 'pruned' || s === 'failed';
}

export function toSweepTrial(t: TrialRecord): SweepTrial {
  return { index: t.index, runId: t.runId, settings: t.settings, objective: t.objective, status: trialStatus(t), rung: t.rung };
}

export function sweepSummary(s: SweepRecord): SweepSummary {
  const [best] = rankTrials(
    s.trials.filter((t) => t.runId !== null && t.objective !== null),
    s.mode,
  );
  return {
    id: s.id,
    name: s.name,
    status: s.status,
    createdAt: s.createdAt,
    method: s.method,
    objective: { monitor: s.monitor, mode: s.mode },
    trialCount: s.trials.length,
    finishedCount: s.trials.filter(isFinished).length,
    best: best ? { runId: best.runId!, value: best.objective! } : null,
  };
}

export function sweepDetail(s: SweepRecord): SweepDetail {
  const trials = rankTrials(s.trials, s.mode).map(toSweepTrial);
  return { ...sweepSummary(s), space: s.space, trials, summary: summaryText(s) };
}

function summaryText(s: SweepRecord): string {
  const count = (status: TrialStatus) => s.trials.filter((t) => trialStatus(t) === status).length;
  const { eta, minEvals, devicesPerTrial, seed } = s.options;
  const best = sweepSummary(s).best;
  const pruned = s.trials.filter((t) => t.pruned).map((t) => `#${t.index} at rung ${t.rung}`);
  return [
    `${s.trials.length} ${s.method} trials (seed ${seed}, ${devicesPerTrial} device${devicesPerTrial === 1 ? '' : 's'} each) of ${Object.keys(s.space).join(', ')}, ` +
      `objective ${s.mode} ${s.monitor}: ${count('completed')} completed, ${count('pruned')} pruned, ${count('failed')} failed, ` +
      `${s.trials.length - count('completed') - count('pruned') - count('failed')} not finished.`,
    describeHalving({ eta, minEvals }, s.mode),
    pruned.length ? `Pruned: ${pruned.join(', ')}.` : 'No trial was pruned.',
    best ? `Best: run ${best.runId} with ${s.monitor} ${best.value.toPrecision(6)}.` : 'No trial has an objective value yet.',
  ].join(' ');
}
