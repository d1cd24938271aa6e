import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Command } from '../command';
import { intOption, meshOption, parse } from '../command';
import { UsageError, openService } from '../context';
import { followRun } from './follow';
import type { RunConfig } from '../../shared/api';
import { ApiError } from '../../shared/errors';

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
  --db PATH              database file (default $DTRAIN_DB or ~/.local/share/dtrain/dtrain.db)`,
  async run(argv) {
    const { values } = parse(argv, {
      config: { type: 'string' }, devices: { type: 'string' }, mesh: { type: 'string' }, steps: { type: 'string' }, seed: { type: 'string' },
      batch: { type: 'string' }, name: { type: 'string' }, 'checkpoint-every': { type: 'string' }, cpu: { type: 'boolean' }, db: { type: 'string' },
    }, 'train');
    if (!values.config) throw new UsageError("missing --config FILE (see 'dtrain train --help')");
    const mesh = meshOption(values);
    const overrides: Partial<RunConfig> = {
      mesh, steps: intOption(values.steps, 'steps', 1), seed: intOption(values.seed, 'seed'),
      globalBatchSize: intOption(values.batch, 'batch', 1), name: values.name, checkpointEvery: intOption(values['checkpoint-every'], 'checkpoint-every'),
    };
    const config = withArchivePath(readConfig(values.config), values.config);
    overrides.mesh = mesh ?? config.mesh ?? 'batch=1';
    const merged = { ...config, ...Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)) } as RunConfig;
    const service = await openService(values.db, { cpuOnly: values.cpu });
    try {
      // startRun validates (once) and refuses a bad config before any run or worker exists.
      const { runId } = await service.startRun(merged).catch((e: unknown) => {
        if (e instanceof ApiError && e.issues?.length) throw new UsageError(`invalid config ${values.config}:\n${e.issues.map((i) => `  ${i.path || 'config'}: ${i.message}`).join('\n')}`);
        throw e;
      });
      process.stdout.write(`run ${runId} started on mesh ${merged.mesh}\n`);
      return await followRun(service, runId, merged.steps);
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
    throw new UsageError(`cannot read config ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('the top level must be an object');
    return parsed as RunConfig;
  } catch (e) {
    throw new UsageError(`config ${path} is not valid JSON: ${(e as Error).message}`);
  }
}

/**
 * A Keras model's files (`model.path`, `model.jsonPath`) are relative to the config file's folder, as a
 * user writes them, not to wherever dtrain was started; absolute paths stay as they are.
 */
export function withArchivePath(config: RunConfig, configFile: string): RunConfig {
  const model = config?.model;
  if (model?.type !== 'keras') return config;
  const folder = dirname(configFile);
  const resolved = { ...model };
  if (typeof model.path === 'string' && model.path !== '') resolved.path = resolve(folder, model.path);
  if (typeof model.jsonPath === 'string' && model.jsonPath !== '') resolved.jsonPath = resolve(folder, model.jsonPath);
  return { ...config, model: resolved };
}
