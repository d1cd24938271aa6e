import { readFileSync } from 'node:fs';
import type { Command } from '../command';
import { dbOption, intOption, parse } from '../command';
import { UsageError, withService } from '../context';

export const evaluateCommand: Command = {
  name: 'evaluate',
  summary: "print a run's loss and metrics on held-out or any data",
  help: `Usage: dtrain evaluate RUN [--data SOURCE_JSON_OR_FILE] [--checkpoint STEP] [--json] [--db PATH]

Evaluates a checkpoint (default: the best one when the run early-stopped, else the newest) on the
run's held-out data (data.validation), else its training data, and prints loss and metrics.

  --data SOURCE     a data source as JSON ('{"kind": "csv", "path": …}'), a .json file holding one,
                    or a data file of the same kind as the training data (read like {"path": FILE})
  --checkpoint STEP the checkpoint at this step
  --json            print the result as JSON`,
  async run(argv) {
    const { values, positionals } = parse(
      argv,
      { ...dbOption, data: { type: 'string' }, checkpoint: { type: 'string' }, json: { type: 'boolean' } },
      'evaluate',
      1,
    );
    if (!positionals[0]) throw new UsageError("missing RUN (see 'dtrain runs')");
    const data = values.data === undefined ? undefined : readSource(values.data);
    const checkpointStep = intOption(values.checkpoint, 'checkpoint');
    return withService(values.db, { quiet: true }, async (service) => {
      // Bad data, no such run or checkpoint are the user's input (exit 2) by their error's class; an
      // engine failure or a held lock is not (exit 1).
      const r = await service.evaluateRun(positionals[0]!, { data, checkpointStep });
      if (values.json) {
        process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
        return 0;
      }
      const metrics = Object.entries(r.metrics)
        .map(([k, v]) => `  ${k} ${v.toFixed(6)}`)
        .join('');
      const which =
        r.restoredBestFrom !== undefined
          ? ` (the run's final state: the best weights, restored from step ${r.restoredBestFrom})`
          : r.best
            ? ' (best)'
            : '';
      process.stdout.write(
        `run ${r.runId} checkpoint at step ${r.step}${which} on ${r.data} (${r.count} examples): loss ${r.loss.toFixed(6)}${metrics}\n`,
      );
      return 0;
    });
  },
};

function readSource(text: string): unknown {
  const fromJson = (json: string, where: string) => {
    try {
      return JSON.parse(json) as unknown;
    } catch (e) {
      throw new UsageError(`--data ${where} is not valid JSON: ${(e as Error).message}`);
    }
  };
  if (text.trimStart().startsWith('{')) return fromJson(text, 'text');
  if (text.endsWith('.json')) {
    try {
      return fromJson(readFileSync(text, 'utf8'), text);
    } catch (e) {
      if (e instanceof UsageError) throw e;
      throw new UsageError(
        `cannot read --data ${text}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`,
      );
    }
  }
  return { path: text };
}
