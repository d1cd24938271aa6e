import type { Command } from '../command';
import { dbOption, parse } from '../command';
import { UsageError, withService } from '../context';

export const exportCommand: Command = {
  name: 'export',
  summary: 'export a run: Keras 3 archive, tfjs weights, optimizer config, metrics',
  help: [
    'Usage: dtrain export RUN [--out DIR] [--keras FILE.keras] [--cluster DIR] [--force] [--db PATH]',
    '',
    '  --out DIR           model.keras, model.json + weights.bin (tf.loadLayersModel), optimizer.json (Keras 3 config), metrics.csv, run.json',
    '  --keras FILE.keras  only the Keras 3 archive: weights and optimizer state (keras.saving.load_model continues it)',
    "  --cluster DIR       model.keras, data.npz (rows, by input/target name for several, + the run's batch order), train.py (Keras 3 keras.distribution: the run's mesh and layouts), import.json (brings the result back)",
    '  --force             write into a non-empty DIR / over an existing FILE',
    'At least one of --out, --keras and --cluster. Nothing is written when the run cannot be exported.',
  ].join('\n'),
  async run(argv) {
    const { values, positionals } = parse(
      argv,
      {
        out: { type: 'string' },
        keras: { type: 'string' },
        cluster: { type: 'string' },
        force: { type: 'boolean' },
        ...dbOption,
      },
      'export',
      1,
    );
    if (!positionals[0]) throw new UsageError("missing RUN (see 'dtrain runs')");
    if (!values.out && !values.keras && !values.cluster)
      throw new UsageError('missing --out DIR, --keras FILE.keras or --cluster DIR');
    if (values.keras !== undefined && !values.keras.endsWith('.keras'))
      throw new UsageError(
        `--keras needs a file name ending in .keras (Keras's load_model refuses others), got '${values.keras}'`,
      );
    const force = values.force ?? false;
    return withService(values.db, { quiet: true }, async (service) => {
      const written: string[] = [];
      if (values.keras) written.push((await service.exportKeras(positionals[0]!, values.keras, { force })).file);
      if (values.cluster) written.push(...(await service.exportCluster(positionals[0]!, values.cluster, { force })).files);
      if (values.out) written.push(...(await service.exportRun(positionals[0]!, values.out, { force })).files);
      process.stdout.write(`${written.join('\n')}\n`);
      return 0;
    });
  },
};
