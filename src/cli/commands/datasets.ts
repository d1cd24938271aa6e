import type { Command } from '../command';
import { parse } from '../command';

export const datasetsCommand: Command = {
  name: 'datasets',
  summary: 'list the built-in datasets',
  help: 'Usage: dtrain datasets\n\nBuilt-in datasets for a run config\'s "data": {"kind": "builtin", "name": NAME}.',
  async run(argv) {
    parse(argv, {}, 'datasets');
    const { listBuiltinDatasets } = await import('../../datasets/load');
    for (const d of listBuiltinDatasets()) process.stdout.write(`${d.name.padEnd(18)} ${d.description}\n`);
    return 0;
  },
};
