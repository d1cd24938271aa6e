/**
 * parseRun: a raw run config (from the API, the CLI, a sweep's trial or a stored run being resumed)
 * to a ResolvedRun or the list of its issues, each at its field, in one pass: its keys, defaults, the
 * Keras model read in (an archive's state becomes the step-0 checkpoint), the model, the data's shape,
 * the mesh and layouts, the optimizer, the compute path, the watchdog and the EMA rule. Validation,
 * the memory check, run creation, the coordinator, sweeps and resume all take the result.
 */
import type { CheckpointData } from '../../core/checkpoint/index';
import type { Model } from '../../core/models/index';
import { UserError } from '../../core/errors';
import { unknownKeyMessage } from '../../core/text/did-you-mean';
import { inspectRunData, type RunDataShape } from '../../datasets/inspect-run-data';
import { dataSourceIssues } from '../../datasets/source';
import type { ConfigIssue, RunConfig } from '../../shared/api';
import { RUN_DEFAULTS } from '../../shared/defaults';
import { ApiError } from '../../shared/errors';
import type { Settings } from '../../shared/settings';
import { emaFirstStepFor } from '../keras/ema-first-step';
import { resolveKerasModel } from '../keras/run-model';
import { withoutUnusedTargets } from '../keras/unused-targets';
import { checkEvaluation } from './evaluation-config';
import { checkHistoryKeys } from './history-config';
import { inlineKerasJson } from '../keras/model-json-file';
import { RUN_KEYS } from './run-keys';
import { checkRunFit } from './run-fit';
import { checkShape, modelOf, type RunShape } from './run-shape';

export interface ResolvedRun extends RunShape {
  /** The training and held-out data's shapes (inspected, not loaded). */
  data: RunDataShape;
  /** A Keras archive's state, the run's step-0 checkpoint; null for models that start from their initializers. */
  initial: CheckpointData | null;
}

export interface ParseOptions {
  settings: Settings;
  /** A stored run's config (a resume): its model is already read in, its name and EMA rule recorded. */
  stored?: boolean;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export async function parseRun(raw: unknown, options: ParseOptions): Promise<ResolvedRun | ConfigIssue[]> {
  if (!isObject(raw)) return [{ path: '', message: 'the run config must be a JSON object' }];
  const issues: ConfigIssue[] = [];
  const add = (path: string, message: string) => issues.push({ path, message });
  for (const key of Object.keys(raw)) if (!RUN_KEYS.includes(key)) add(key, unknownKeyMessage(key, [...RUN_KEYS]));
  const given = options.stored ? (raw as unknown as RunConfig) : withDefaults(raw as unknown as RunConfig);
  if (given.parent !== undefined && typeof given.parent !== 'string') add('parent', 'parent must be a run id');
  const source = options.stored ? { config: given, initial: null } : await readModel(given, add);
  if (!source) return issues;
  const config = source.config;
  // Stored with the run, so a resume keeps the rule it started with.
  const ema = options.stored ? config.emaFirstStep : emaFirstStepFor(config);
  const model = modelOf(config, add);
  const data = await readDataShape(config, model, add);
  const shape = checkShape(config, model, options.settings, ema ?? RUN_DEFAULTS.emaFirstStep, add);
  if (data) checkRunFit(model, data.train, config.globalBatchSize, add);
  checkEvaluation(config, model, data ? data.validation !== null : undefined, add);
  checkHistoryKeys(config, add);
  if (issues.length > 0 || !data || !shape) return issues;
  return { ...shape, config: ema ? { ...shape.config, emaFirstStep: ema } : shape.config, data, initial: source.initial };
}

/** Fills the defaults a new run may leave out (RUN_DEFAULTS, and a name from the time). */
function withDefaults(config: RunConfig): RunConfig {
  return {
    layouts: { ...RUN_DEFAULTS.layouts },
    checkpointEvery: RUN_DEFAULTS.checkpointEvery,
    keepCheckpoints: RUN_DEFAULTS.keepCheckpoints,
    ...config,
    name: config.name ?? `run ${new Date().toISOString().slice(0, 19).replace('T', ' ')}`,
  };
}

/**
 * The config with its Keras model read in: an archive (`path`: its model JSON, optimizer and state)
 * or a model JSON file (`jsonPath`), so the stored run never needs the file again. A file that cannot
 * be used is one issue at `model`, and nothing else is checked (everything else depends on the model).
 */
async function readModel(
  config: RunConfig,
  add: (path: string, message: string) => void,
): Promise<{ config: RunConfig; initial: CheckpointData | null } | undefined> {
  try {
    const archive = await resolveKerasModel(config);
    return { config: inlineKerasJson(archive.config), initial: archive.initial };
  } catch (e) {
    if (!(e instanceof ApiError && e.code === 'invalid-input')) throw e;
    add('model', e.message);
    return undefined;
  }
}

/**
 * The data's shape as the run packs it (RunShape.packedData: targets nothing reads left out), read
 * without loading it; a source that cannot be read is an issue at `data`.
 */
async function readDataShape(
  config: RunConfig,
  model: Model | undefined,
  add: (path: string, message: string) => void,
): Promise<RunDataShape | undefined> {
  const sourceIssues = dataSourceIssues(config.data);
  for (const i of sourceIssues) add(i.path, i.message);
  if (sourceIssues.length > 0) return undefined;
  const seed = Number.isSafeInteger(config.seed) ? config.seed : 0;
  try {
    return await inspectRunData(model ? withoutUnusedTargets(config, model).data : config.data, seed);
  } catch (e) {
    if (!(e instanceof UserError)) throw e; // a DatasetError is the data's; anything else is the engine's
    add('data', e.message);
    return undefined;
  }
}
