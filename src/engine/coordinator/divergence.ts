/**
 * Stopping a run that diverged, as Keras's TerminateOnNaN does: at the first step whose loss or
 * gradient norm is NaN or infinite. Such a state is never checkpointed, so the newest checkpoint
 * stays the last finite one and `resume` can continue from it (e.g. with a smaller learning rate).
 */
import type { StepReport, ShardRecord } from '../../shared/worker-protocol';

export class RunDivergedError extends Error {
  constructor(
    readonly step: number,
    readonly reason: string,
    lastCheckpointStep: number | null,
  ) {
    const kept =
      lastCheckpointStep === null
        ? 'no checkpoint was written before it'
        : `the last finite checkpoint (step ${lastCheckpointStep}) is kept`;
    super(`training diverged at step ${step}: ${reason}; the run was stopped (TerminateOnNaN) and ${kept}`);
    this.name = 'RunDivergedError';
  }
}

/** Why a step's report is not finite, or null when it is. `report.step` is 0-based; steps are named 1-based. */
export function nonFiniteCause(report: StepReport): string | null {
  if (!Number.isFinite(report.loss)) return `the loss is ${report.loss}`;
  if (!Number.isFinite(report.gradNorm)) return `the gradient norm is ${report.gradNorm}`;
  return null;
}

/** The first variable holding a NaN or an infinity, or null (a diverged state must not be saved). */
export function firstNonFinite(records: readonly ShardRecord[]): { path: string; value: number } | null {
  for (const r of records) {
    for (let i = 0; i < r.data.length; i++) {
      const v = r.data[i]!;
      if (!Number.isFinite(v)) return { path: r.path, value: v };
    }
  }
  return null;
}
