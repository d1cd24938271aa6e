import type { TrainerService } from '../../engine/service/trainer-service';
import type { RunConfig } from '../../shared/api';
import { isEvalStep } from '../../engine/config/evaluation-config';
import { ProgressBar } from '../progress';
import { describeLossTrend, lossTrend } from '../../core/evaluation/loss-trend';

/**
 * Shows a run's progress until it ends. The first Ctrl-C pauses it (the workers finish the current
 * chunk and a checkpoint is written); a second one kills the workers at once (even a stalled or
 * SIGSTOPped one) and the run ends stopped at its last checkpoint. Workers never see the terminal's
 * SIGINT themselves: they run in their own process group.
 */
export interface FollowOptions {
  /** Exit 1 unless the loss fell over the steps followed (lossTrend): CI's smoke test of training. */
  checkLossFalls?: boolean;
}

export async function followRun(
  service: TrainerService,
  runId: string,
  steps: number,
  options: FollowOptions = {},
): Promise<number> {
  // The run's stored config (defaults applied) says which steps an evaluation follows; read after
  // subscribing, so no point is missed meanwhile.
  let config: RunConfig | null = null;
  const bar = new ProgressBar(steps, process.stdout, {
    awaitsValidation: (step) => config !== null && config.data.validation !== undefined && isEvalStep({ ...config, steps }, step),
  });
  // One loss per step (a step's point comes again when its evaluation is merged into it).
  const losses = new Map<number, number>();
  let crash = '';
  // The failure as the service announced it: a full disk may have kept it from being stored.
  let failure = null as { step: number; error?: string } | null;
  const off = service.subscribe((e) => {
    if ('runId' in e && e.runId !== runId) return;
    if (e.type === 'metrics') e.points.forEach((p) => (losses.set(p.step, p.loss), bar.update(p)));
    if (e.type === 'worker-crash') crash = e.reason;
    if (e.type === 'status' && e.status === 'failed') failure = { step: e.step, error: e.error };
  });
  config = (await service.getRun(runId)).config;
  let interrupts = 0;
  const onSigint = () => {
    interrupts += 1;
    process.stderr.write(
      interrupts === 1
        ? '\npausing after the current steps (Ctrl-C again to stop at once, losing the steps since the last checkpoint)...\n'
        : '\nstopping: killing the workers...\n',
    );
    void (interrupts === 1 ? service.pauseRun(runId) : service.abortRun(runId)).catch(() => undefined);
  };
  process.on('SIGINT', onSigint);
  try {
    const status = await service.waitForRun(runId);
    const run = await service.getRun(runId);
    off();
    if (status === 'failed') {
      bar.done(`run ${runId} failed at step ${failure?.step ?? run.step}: ${crash || failure?.error || run.error}`);
      return 1;
    }
    const hint = status === 'paused' || status === 'stopped' ? `; continue with: dtrain resume ${runId}` : '';
    bar.done(`run ${runId} ${status} at step ${run.step}${run.stopReason ? ` (${run.stopReason})` : ''}${hint}`);
    const trend = lossTrend([...losses.entries()].sort((a, b) => a[0] - b[0]).map(([, l]) => l));
    if (trend) process.stdout.write(`${describeLossTrend(trend)}\n`);
    if (options.checkLossFalls && !trend?.fell) {
      process.stderr.write(
        `dtrain: --check-loss-falls: ${trend ? describeLossTrend(trend) : 'fewer than two steps were trained'}\n`,
      );
      return 1;
    }
    return 0;
  } finally {
    process.off('SIGINT', onSigint);
    ignoreInterruptsWhileFinishing();
  }
}

/**
 * Once the run has ended (a pause finished), a late Ctrl-C — typed as the pause completed, or a second
 * one meant as "stop" — must not turn the clean exit into 130: the process only closes the database now.
 */
export function ignoreInterruptsWhileFinishing(): void {
  // Always our own listener: a loader's (tsx) may be there too, and it ends the process with the
  // signal when it is the only one left.
  if (finishing) return;
  finishing = true;
  process.on('SIGINT', () => undefined);
}
let finishing = false;
