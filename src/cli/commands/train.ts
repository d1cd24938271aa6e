import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Command } from '../command';
import { intOption, meshOption, parse } from '../command';
import { UsageError, openService } from '../context';
import { followRun } from './follow';
import type { RunConfig } from '../../shared/api';
import { ApiError } from '../../shared/errors';
import { DEFAULT_MESH } from '../../shared/defaults';

export const trainCommand: Command = {
  name: 'train',
  summary: 'start a training run from a config file',
  help: `Usage: dtrain train --config FILE [options]

Starts a run, shows a progress bar, and checkpoints into the database. Ctrl-C pauses the run
(after a checkpoint); resume it with 'dtrain resume RUN'.

  --config FILE          run config JSON (model, data, optimizer, steps, globalBatchSize, seed, ...)
  --devices N            N devices on a 1-D mesh 'batch=N' (GPUs if found, else CPU workers)
  --mesh TEXT            any mesh, e.g. 'batch=2,model=2' (overrides the config's mesh)
  --steps N              number of global steps (overrides the config)
  --seed S               seed for init and data order (overrides the config)
  --batch N              global batch size (overrides the config)
  --name NAME            run name
  --checkpoint-every N   checkpoint every N steps (0: only at pause/stop/end)
  --cpu                  use CPU workers even if GPUs are present
  --check-loss-falls     exit 1 unless the loss fell by a tenth at least (mean of the first tenth of
                         the steps against the last tenth): a smoke test that training works
  --db PATH              database file (default $DTRAIN_DB or ~/.local/share/dtrain/dtrain.db)`,
  async run(argv) {
    const { values } = parse(
      argv,
      {
        config: { type: 'string' },
        devices: { type: 'string' },
        mesh: { type: 'string' },
        steps: { type: 'string' },
        seed: { type: 'string' },
        batch: { type: 'string' },
        name: { type: 'string' },
        'checkpoint-every': { type: 'string' },
        cpu: { type: 'boolean' },
        db: { type: 'string' },
        'check-loss-falls': { type: 'boolean' },
      },
      'train',
    );
    if (!values.config) throw new UsageError("missing --config FILE (see 'dtrain train --help')");
    const mesh = meshOption(values);
    const overrides: Partial<RunConfig> = {
      mesh,
      steps: intOption(values.steps, 'steps', 1),
      seed: intOption(values.seed, 'seed'),
      globalBatchSize: intOption(values.batch, 'batch', 1),
      name: values.name,
      checkpointEvery: intOption(values['checkpoint-every'], 'checkpoint-every'),
    };
    const config = withPathsFromConfigFolder(readConfig(values.config), values.config);
    overrides.mesh = mesh ?? config.mesh ?? DEFAULT_MESH;
    const merged = {
      ...config,
      ...Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)),
    } as RunConfig;
    const service = await openService(values.db, { cpuOnly: values.cpu });
    try {
      // startRun validates (once) and refuses a bad config before any run or worker exists.
      const { runId } = await service.startRun(merged).catch((e: unknown) => {
        if (e instanceof ApiError && e.issues?.length)
          throw new UsageError(
            `invalid config ${values.config}:\n${e.issues.map((i) => `  ${i.path || 'config'}: ${i.message}`).join('\n')}`,
          );
        throw e;
      });
      process.stdout.write(`run ${runId} started on mesh ${merged.mesh}\n`);
      return await followRun(service, runId, merged.steps, { checkLossFalls: values['check-loss-falls'] });
    } finally {
      await service.shutdown();
    }
  },
};

export function readConfig(path: string): RunConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(
      `cannot read config ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`,
    );
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new Error('the top level must be an object');
    return parsed as RunConfig;
  } catch (e) {
    throw new UsageError(`config ${path} is not valid JSON: ${(e as Error).message}`);
  }
}

/**
 * Every file a config names is relative to the config file's folder, as a user writes it, not to
 * wherever dtrain was started: a Keras model's `model.path` and `model.jsonPath`, the data's `path`
 * (or an npy source's `x` and `y`, each a file or one file per model input or output), and the same in `data.validation`. Absolute paths stay as they are.
 */
export function withPathsFromConfigFolder(config: RunConfig, configFile: string): RunConfig {
  const folder = dirname(configFile);
  const fix = (o: Record<string, unknown>, keys: string[]): Record<string, unknown> => {
    const out = { ...o };
    for (const k of keys) {
      const v = out[k];
      if (typeof v === 'string' && v !== '') out[k] = resolve(folder, v);
      // An npy source's files per model input or output: {"title": "title.npy", …}.
      else if (isObject(v))
        out[k] = Object.fromEntries(
          Object.entries(v).map(([n, f]) => [n, typeof f === 'string' && f !== '' ? resolve(folder, f) : f]),
        );
    }
    return out;
  };
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  const dataKeys = (d: Record<string, unknown>) => (d.kind === 'npy' ? ['x', 'y'] : ['path']);
  let out = config;
  if (isObject(out?.model) && out.model.type === 'keras')
    out = { ...out, model: fix(out.model, ['path', 'jsonPath']) as RunConfig['model'] };
  if (isObject(out?.data)) {
    let data = fix(out.data, dataKeys(out.data));
    if (isObject(data.validation) && !('fraction' in data.validation))
      data = { ...data, validation: fix(data.validation, 'kind' in data.validation ? dataKeys(data.validation) : ['path']) };
    out = { ...out, data: data as unknown as RunConfig['data'] };
  }
  return out;
}
