import type { Command } from '../command';
import { dbOption, parse } from '../command';
import { withService } from '../context';
import { table, formatDate, truncate } from '../text';

/** The NAME column's width: a long name is cut with '…' (`--json` and `show` give it whole). */
const NAME_WIDTH = 40;

export const runsCommand: Command = {
  name: 'runs',
  summary: 'list runs in the database',
  help: 'Usage: dtrain runs [--db PATH] [--json]\n\n  --json   machine-readable output',
  async run(argv) {
    const { values } = parse(argv, { ...dbOption, json: { type: 'boolean' } }, 'runs');
    return withService(values.db, { quiet: true }, async (service) => {
      const runs = await service.listRuns();
      if (values.json) process.stdout.write(`${JSON.stringify(runs, null, 2)}\n`);
      else if (runs.length === 0) process.stdout.write('no runs yet: start one with dtrain train --config FILE\n');
      else {
        const rows = runs.map((r) => [
          r.id,
          truncate(r.name, NAME_WIDTH),
          r.status,
          `${r.step}/${r.steps}`,
          r.lastLoss === null ? '-' : r.lastLoss.toFixed(4),
          r.mesh,
          formatDate(r.updatedAt),
        ]);
        process.stdout.write(table([['ID', 'NAME', 'STATUS', 'STEP', 'LOSS', 'MESH', 'UPDATED'], ...rows]));
      }
      return 0;
    });
  },
};
