import { writeFileSync, readFileSync } from 'node:fs';
import type { Command } from '../command';
import { parse } from '../command';
import { UsageError } from '../context';

export const importConfigCommand: Command = {
  name: 'import-config',
  summary: 'check an optimizer config written by Python Keras and print it as dtrain uses it',
  help: "Usage: dtrain import-config FILE [--out FILE]\n\nFILE is json.dumps(optimizer.get_config()) (or tf.keras.optimizers.serialize(optimizer)) from Keras 2.11+.\nThe result can be used as a run config's \"optimizer\".",
  async run(argv) {
    const { values, positionals } = parse(argv, { out: { type: 'string' } }, 'import-config', 1);
    if (!positionals[0]) throw new UsageError('missing FILE');
    let text: string;
    try {
      text = readFileSync(positionals[0], 'utf8');
    } catch (e) {
      throw new UsageError(`cannot read ${positionals[0]}: ${(e as Error).message}`);
    }
    const { importOptimizerConfig } = await import('../../engine/service/config-tools');
    const result = importOptimizerConfig(text);
    if ('error' in result) throw new UsageError(`${positionals[0]}: ${result.error}`);
    const json = `${JSON.stringify(result.config, null, 2)}\n`;
    if (values.out) writeFileSync(values.out, json);
    process.stdout.write(json);
    return 0;
  },
};
