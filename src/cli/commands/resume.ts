import type { Command } from '../command';
import { dbOption, intOption, meshOption, parse } from '../command';
import { UsageError, withService } from '../context';
import { followRun } from './follow';

export const resumeCommand: Command = {
  name: 'resume',
  summary: 'continue a paused, stopped or failed run from its last checkpoint',
  help: `Usage: dtrain resume RUN [options]

Continues from the newest valid checkpoint; metric rows after it are removed first. On the same mesh
the continuation is bit-identical to an uninterrupted run; on another mesh the checkpoint is resharded.

  --devices N | --mesh TEXT   resume on another mesh (e.g. a 4-device run on 2)
  --steps N                   raise the run's total number of steps
  --cpu                       use CPU workers even if GPUs are present
  --check-loss-falls          exit 1 unless the loss fell over the resumed steps (see train --help)
  --take-over                 take the run from the dtrain process that holds it, even if it looks
                              alive (a holder on another host that has not expired yet, or one hung on
                              this host). Only when you know it is gone: if it is in fact training,
                              it stops at its next heartbeat and its writes are refused from now
                              on, but steps it trained after its last checkpoint are lost (docs/leases.md)
  --db PATH                   database file`,
  async run(argv) {
    const { values, positionals } = parse(
      argv,
      {
        devices: { type: 'string' },
        mesh: { type: 'string' },
        steps: { type: 'string' },
        cpu: { type: 'boolean' },
        'check-loss-falls': { type: 'boolean' },
        'take-over': { type: 'boolean' },
        ...dbOption,
      },
      'resume',
      1,
    );
    const runId = positionals[0];
    if (!runId) throw new UsageError("missing RUN (see 'dtrain runs')");
    return withService(values.db, { cpuOnly: values.cpu }, async (service) => {
      const run = await service.getRun(runId);
      const steps = intOption(values.steps, 'steps', 1);
      if (steps !== undefined && steps <= run.step) {
        throw new UsageError(
          `run ${runId} is already at step ${run.step}; --steps is the run's total and must be more than that`,
        );
      }
      await service.resumeRun(runId, { mesh: meshOption(values), steps, takeOver: values['take-over'] });
      // The newest checkpoint that verifies (a corrupt newer one is skipped), known once it is restored.
      const from = await service.resumedFrom(runId);
      if (from !== null) process.stdout.write(`run ${runId} resuming from step ${from}\n`);
      return await followRun(service, runId, steps ?? run.steps, { checkLossFalls: values['check-loss-falls'] });
    });
  },
};
