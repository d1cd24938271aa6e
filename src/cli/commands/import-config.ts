import { writeFileSync, readFileSync } from 'node:fs';
import type { Command } from '../command';
import { parse } from '../command';
import { UsageError } from '../context';
import { ApiError } from '../../shared/errors';

export const importConfigCommand: Command = {
  name: 'import-config',
  summary: 'check an optimizer config written by Python Keras and print it as dtrain uses it',
  help: "Usage: dtrain import-config FILE [--out FILE] [--flavour keras3|keras2]\n\nFILE is json.dumps(optimizer.get_config()) (or keras.optimizers.serialize(optimizer)) from tf.keras 2.11+ or Keras 3.\nPrinted in Keras 3's form (what keras.optimizers.Adadelta.from_config loads), or with --flavour keras2 in\ntf.keras 2.13–2.15's. The result can be used as a run config's \"optimizer\".",
  async run(argv) {
    const { values, positionals } = parse(argv, { out: { type: 'string' }, flavour: { type: 'string' } }, 'import-config', 1);
    if (!positionals[0]) throw new UsageError('missing FILE');
    const flavour = values.flavour ?? 'keras3';
    if (flavour !== 'keras3' && flavour !== 'keras2')
      throw new UsageError(`--flavour must be keras3 or keras2 (got '${flavour}')`);
    let text: string;
    try {
      text = readFileSync(positionals[0], 'utf8');
    } catch (e) {
      throw new UsageError(`cannot read ${positionals[0]}: ${(e as Error).message}`);
    }
    const { importOptimizerConfig } = await import('../../engine/service/config-tools');
    let result: { config: Record<string, unknown> };
    try {
      result = importOptimizerConfig(text, flavour);
    } catch (e) {
      // Its own refusals (invalid-input) name the file; an engine failure stays one.
      if (e instanceof ApiError) throw new UsageError(`${positionals[0]}: ${e.message}`);
      throw e;
    }
    const json = `${JSON.stringify(result.config, null, 2)}\n`;
    if (values.out) writeFileSync(values.out, json);
    process.stdout.write(json);
    return 0;
  },
};
