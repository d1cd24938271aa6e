import type { Command } from '../command';
import { dbOption, parse } from '../command';
import { UsageError, withService } from '../context';

export const deleteCommand: Command = {
  name: 'delete',
  summary: 'delete a run with its metrics and checkpoints',
  help: `Usage: dtrain delete RUN [--take-over] [--db PATH]

Deletes the run, its metric history, device stats and checkpoints in one transaction. A run that a
dtrain process is training (its lease binds) is refused.

  --take-over   delete it even while another dtrain's lease on it looks alive (a holder on another host
                that has not expired yet, or one hung on this host). Only when you know that process is
                gone: if it is in fact training, its next writes to the run are refused (docs/leases.md)
  --db PATH     database file`,
  async run(argv) {
    const { values, positionals } = parse(argv, { ...dbOption, 'take-over': { type: 'boolean' } }, 'delete', 1);
    const runId = positionals[0];
    if (!runId) throw new UsageError("missing RUN (see 'dtrain runs')");
    return withService(values.db, { quiet: true }, async (service) => {
      await service.deleteRun(runId, { takeOver: values['take-over'] });
      process.stdout.write(`run ${runId} deleted\n`);
      return 0;
    });
  },
};
