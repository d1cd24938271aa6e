/**
 * Checks a RunConfig before any process starts, so a bad config is one clear message per problem,
 * tied to the field it concerns, instead of a worker crash.
 */
import { Mesh } from '../../core/dtensor/mesh';
import { Layout } from '../../core/dtensor/layout';
import { LayoutMap } from '../../core/dtensor/layout-map';
import { Adadelta } from '../../core/optimizers/adadelta';
import { buildModel, type Model } from '../../core/models/index';
import { inspectRunData } from '../../datasets/inspect-run-data';
import type { DataSourceShape } from '../../datasets/inspect-source';
import { dataSourceIssues } from '../../datasets/source';
import { inlineKerasJson } from './keras-model-file';
import { ModelSpecError } from '../../core/models/spec';
import { unknownKeyMessage } from '../../core/text/did-you-mean';
import type { ConfigIssue, RunConfig, VariableStorage } from '../../shared/api';
import { invalidInput } from '../../shared/errors';
import { checkEvaluation } from './evaluation-config';
import { checkHistoryKeys, checkOptimizerKeys } from './history-config';

const RUN_KEYS = new Set([
  'name',
  'model',
  'data',
  'mesh',
  'layouts',
  'optimizer',
  'steps',
  'globalBatchSize',
  'seed',
  'checkpointEvery',
  'keepCheckpoints',
  'parent',
  'variableStorage',
  'watchdogSeconds',
  'evalEvery',
  'earlyStopping',
  'emaFirstStep',
  'optimizerStatsEvery',
  'minStepMs',
]);
const STORAGES: readonly string[] = ['auto', 'host', 'tensor'];

export interface CheckedConfig {
  issues: ConfigIssue[];
  model?: Model;
  /** The training data's shape (read without loading it: see inspectDataSource). */
  dataset?: DataSourceShape;
  validation?: DataSourceShape | null;
  mesh?: Mesh;
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

export async function checkRunConfig(config: RunConfig): Promise<CheckedConfig> {
  const issues: ConfigIssue[] = [];
  const add = (path: string, msg: string) => issues.push({ path, message: msg });
  if (typeof config !== 'object' || config === null)
    return { issues: [{ path: '', message: 'the run config must be a JSON object' }] };
  for (const key of Object.keys(config)) if (!RUN_KEYS.has(key)) add(key, unknownKeyMessage(key, [...RUN_KEYS]));
  const attempt = <T>(path: string, fn: () => T): T | undefined => {
    try {
      return fn();
    } catch (e) {
      // A model spec error names its own path inside the spec: put it at that field.
      add(e instanceof ModelSpecError && e.path ? `${path}.${e.path}` : path, message(e));
      return undefined;
    }
  };
  const model = attempt('model', () => buildModel(inlineKerasJson(config).model));
  const sourceIssues = dataSourceIssues(config.data);
  issues.push(...sourceIssues);
  let data: Awaited<ReturnType<typeof inspectRunData>> | undefined;
  if (sourceIssues.length === 0) {
    try {
      data = await inspectRunData(config.data, Number.isSafeInteger(config.seed) ? config.seed : 0);
    } catch (e) {
      add('data', message(e));
    }
  }
  const dataset = data?.train;
  const mesh = attempt('mesh', () => Mesh.parse(String(config.mesh ?? '')));
  if (mesh) {
    const map = new LayoutMap(mesh);
    for (const [key, specs] of Object.entries(config.layouts ?? {})) {
      const layout = attempt(`layouts.${key}`, () => {
        new RegExp(key);
        return new Layout(specs, mesh);
      });
      if (layout) attempt(`layouts.${key}`, () => map.set(key, layout));
    }
    // Each variable's layout must have its rank; a worker would otherwise fail after the run exists.
    if (model) for (const p of model.params) attempt(`layouts`, () => map.layoutFor(p.path, p.shape.length));
  }
  if (config.optimizer === undefined)
    add('optimizer', 'an optimizer config is required (Keras Adadelta get_config() keys, e.g. {"learning_rate": 1.0})');
  else if (checkOptimizerKeys(config.optimizer, add)) attempt('optimizer', () => Adadelta.fromConfig(config.optimizer));
  const ema = config.emaFirstStep;
  if (ema !== undefined && ema !== 'keras2' && ema !== 'keras3')
    add('emaFirstStep', `emaFirstStep must be "keras2" or "keras3" (got ${JSON.stringify(ema)})`);
  checkInteger(config.steps, 'steps', 1, add);
  checkInteger(config.globalBatchSize, 'globalBatchSize', 1, add);
  checkInteger(config.seed, 'seed', 0, add);
  if (config.checkpointEvery !== undefined) checkInteger(config.checkpointEvery, 'checkpointEvery', 0, add);
  if (config.keepCheckpoints !== undefined) checkInteger(config.keepCheckpoints, 'keepCheckpoints', 1, add);
  attempt('variableStorage', () => variableStorageOf(config));
  const w = config.watchdogSeconds;
  if (w !== undefined && !(typeof w === 'number' && Number.isFinite(w) && w > 0))
    add('watchdogSeconds', `watchdogSeconds must be a number of seconds > 0 (got ${JSON.stringify(w)})`);
  if (mesh && Number.isInteger(config.globalBatchSize) && config.globalBatchSize < mesh.size) {
    add('globalBatchSize', `a global batch of ${config.globalBatchSize} cannot give each of the ${mesh.size} devices an example`);
  }
  if (model && dataset) checkFit(model, dataset, add);
  if (dataset && Number.isInteger(config.globalBatchSize) && config.globalBatchSize > dataset.examples) {
    add(
      'globalBatchSize',
      `a global batch of ${config.globalBatchSize} is larger than dataset '${dataset.name}' (${dataset.examples} examples)`,
    );
  }
  checkEvaluation(config, model, data ? data.validation !== null : undefined, add);
  checkHistoryKeys(config, add);
  return { issues, model, dataset, validation: data?.validation, mesh };
}

function checkInteger(v: unknown, path: string, min: number, add: (p: string, m: string) => void): void {
  if (!Number.isSafeInteger(v) || (v as number) < min)
    add(path, `${path} must be an integer ≥ ${min} (got ${JSON.stringify(v)})`);
}

/** The model must take the dataset's features and produce its targets. */
function checkFit(model: Model, ds: DataSourceShape, add: (p: string, m: string) => void): void {
  if (model.inputShape.join() !== ds.featureShape.join()) {
    add(
      'model.input',
      `the model takes inputs of shape [${model.inputShape}] but dataset '${ds.name}' has features of shape [${ds.featureShape}]`,
    );
  }
  if (model.keras) return checkKerasFit(model, ds, add);
  const out = model.outputShape.reduce((a, b) => a * b, 1);
  if (ds.task === 'classification' && model.loss === 'softmax_cross_entropy' && out !== ds.numClasses) {
    add('model.layers', `the model outputs ${out} values but dataset '${ds.name}' has ${ds.numClasses} classes`);
  }
  if (ds.task === 'classification' && model.loss === 'mse')
    add('model.loss', `dataset '${ds.name}' is a classification task: use softmax_cross_entropy`);
  if (ds.task === 'regression' && model.loss !== 'mse') add('model.loss', `dataset '${ds.name}' is a regression task: use mse`);
  if (ds.task === 'regression' && out !== (ds.targetDim ?? 1))
    add('model.layers', `the model outputs ${out} values but the targets have ${ds.targetDim ?? 1}`);
}

/** The run's variable storage: its `variableStorage` key, else DTRAIN_VARIABLE_STORAGE, else auto. */
export function variableStorageOf(config: RunConfig, env: NodeJS.ProcessEnv = process.env): VariableStorage {
  const given = config.variableStorage;
  if (given !== undefined) {
    if (!STORAGES.includes(given))
      throw invalidInput(`variableStorage must be "auto", "host" or "tensor" (got ${JSON.stringify(given)})`);
    return given;
  }
  const fromEnv = env.DTRAIN_VARIABLE_STORAGE;
  if (fromEnv === undefined || fromEnv === '') return 'auto';
  if (!STORAGES.includes(fromEnv)) throw invalidInput(`DTRAIN_VARIABLE_STORAGE must be auto, host or tensor (got '${fromEnv}')`);
  return fromEnv as VariableStorage;
}

/** Fills defaults a user may leave out. */
export function withDefaults(config: RunConfig): RunConfig {
  return {
    layouts: {},
    checkpointEvery: 0,
    keepCheckpoints: 3,
    ...config,
    name: config.name ?? `run ${new Date().toISOString().slice(0, 19).replace('T', ' ')}`,
  };
}

/** A Keras model's loss decides what labels it takes: class indices (sparse CCE, BCE on 0/1) or float targets. */
function checkKerasFit(model: Model, ds: DataSourceShape, add: (p: string, m: string) => void): void {
  const { kind } = model.keras!.head;
  const out = model.outputShape.reduce((a, b) => a * b, 1);
  const classes = model.outputShape[model.outputShape.length - 1]!;
  if (ds.task === 'classification') {
    if (kind === 'sparse_categorical_crossentropy') {
      if (classes !== ds.numClasses)
        add('model', `the Keras model outputs ${classes} classes but dataset '${ds.name}' has ${ds.numClasses}`);
    } else if (!(kind === 'binary_crossentropy' && out === 1 && ds.numClasses === 2)) {
      add(
        'model',
        `dataset '${ds.name}' has class-index labels: the Keras loss ${kind} needs float targets of shape [${model.outputShape}] (use sparse_categorical_crossentropy)`,
      );
    }
  } else if (kind === 'sparse_categorical_crossentropy') {
    add('model', `dataset '${ds.name}' has float targets: sparse_categorical_crossentropy needs class indices`);
  } else if (out !== (ds.targetDim ?? 1)) {
    add('model', `the Keras model outputs ${out} values per example but the targets have ${ds.targetDim ?? 1}`);
  }
}
