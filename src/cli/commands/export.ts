import type { Command } from '../command';
import { dbOption, parse } from '../command';
import { UsageError, withService } from '../context';

export const exportCommand: Command = {
  name: 'export',
  summary: 'export weights (tfjs LayersModel), optimizer config (Keras JSON) and metrics (CSV)',
  help: 'Usage: dtrain export RUN --out DIR [--db PATH]\n\nWrites model.json + weights.bin (load with tf.loadLayersModel), optimizer.json, metrics.csv, run.json.',
  async run(argv) {
    const { values, positionals } = parse(argv, { out: { type: 'string' }, ...dbOption }, 'export', 1);
    if (!positionals[0]) throw new UsageError("missing RUN (see 'dtrain runs')");
    if (!values.out) throw new UsageError('missing --out DIR');
    return withService(values.db, { quiet: true }, async (service) => {
      const { files } = await service.exportRun(positionals[0], values.out);
      process.stdout.write(`${files.join('\n')}\n`);
      return 0;
    });
  },
};
