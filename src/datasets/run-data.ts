/**
 * A run's data: the training set and, when `data.validation` is given, the held-out set. The split is
 * a pure function of the dataset and the seed (never of the device count), so every worker, the
 * coordinator and `dtrain evaluate` hold the same rows.
 */
import { DatasetError, type Dataset } from '../core/data/index';
import { splitIndices, subsetDataset } from '../core/data/split';
import type { DataSource, RunConfig, ValidationSource } from '../shared/api';
import { fullLoaders } from './load';
import { datasetSourceOf } from './source';

export interface RunData {
  train: Dataset;
  validation: Dataset | null;
}

export function loadRunData(data: RunConfig['data'], seed: number): RunData {
  const { validation: spec, ...source } = data as RunConfig['data'] & Record<string, unknown>;
  const full = fullLoaders.loadDatasetSync(datasetSourceOf(source as DataSource));
  if (spec === undefined || spec === null) return { train: full, validation: null };
  if (typeof spec !== 'object')
    throw new DatasetError('data.validation must be {"fraction": f}, {"path": FILE} or a data source');
  if ('fraction' in spec) {
    const { train, validation } = splitIndices(full, { validationFraction: spec.fraction, seed: spec.seed ?? seed });
    if (validation.length === 0)
      throw new DatasetError(`data.validation.fraction ${spec.fraction} holds out no example of ${full.numExamples}`);
    return {
      train: subsetDataset(full, train, `${full.name}/train`),
      validation: subsetDataset(full, validation, `${full.name}/validation`),
    };
  }
  return { train: full, validation: loadHeldOut(spec, source as DataSource, full) };
}

/**
 * The data source a separate held-out set is read from: `{"path": FILE}` is the training source with
 * another file. A CSV takes the training data's label order and task, and — when `train` has them —
 * its normalization statistics: a held-out file must not be normalized by its own.
 */
export function heldOutSource(
  spec: ValidationSource,
  trainingSource: DataSource,
  train: { classNames?: string[]; task: Dataset['task']; normalization?: Dataset['normalization'] },
): DataSource {
  let source: Record<string, unknown>;
  if ('kind' in spec) source = { ...spec };
  else if ('path' in spec && typeof spec.path === 'string') {
    if (!('path' in trainingSource))
      throw new DatasetError(
        `data.validation {"path": …} needs file training data; for '${trainingSource.kind}' data give a full data source`,
      );
    source = { ...trainingSource, path: spec.path };
  } else throw new DatasetError('data.validation must be {"fraction": f}, {"path": FILE} or a data source');
  if (source.kind === 'csv') {
    if (train.classNames && source.classNames === undefined) source.classNames = train.classNames;
    if (source.task === undefined) source.task = train.task;
    if (train.normalization && (source.normalize === undefined || typeof source.normalize === 'string'))
      source.normalize = train.normalization;
  }
  return source as DataSource;
}

/** A separate held-out source, read with the training data's classes and normalization statistics. */
export function loadHeldOut(spec: ValidationSource, trainingSource: DataSource, train: Dataset): Dataset {
  const source = heldOutSource(spec, trainingSource, train);
  const held = fullLoaders.loadDatasetSync(datasetSourceOf(source));
  checkCompatible(held, train);
  return held;
}

type Comparable = Pick<Dataset, 'name' | 'featureShape' | 'task' | 'numClasses' | 'xParts' | 'yParts'>;

/** Named arrays as `name [shape]`, in packed order: two sets pack alike exactly when these agree. */
const layoutOf = (parts: { name: string; shape: number[] }[] | undefined) =>
  (parts ?? []).map((p) => `${p.name} [${p.shape}]`).join(', ');

export function checkCompatible(held: Comparable, train: Comparable): void {
  if (held.featureShape.join() !== train.featureShape.join()) {
    throw new DatasetError(
      `held-out data '${held.name}' has features of shape [${held.featureShape}], the training data [${train.featureShape}]`,
    );
  }
  for (const [what, a, b] of [
    ['inputs', held.xParts, train.xParts],
    ['targets', held.yParts, train.yParts],
  ] as const)
    if (layoutOf(a) !== layoutOf(b))
      throw new DatasetError(
        `held-out data '${held.name}' names its ${what} ${layoutOf(a) || '(one plain array)'}, the training data ${layoutOf(b) || '(one plain array)'}`,
      );
  if (held.task !== train.task)
    throw new DatasetError(`held-out data '${held.name}' is a ${held.task} task, the training data ${train.task}`);
  if (held.task === 'classification' && (held.numClasses ?? 0) > (train.numClasses ?? 0)) {
    throw new DatasetError(`held-out data '${held.name}' has ${held.numClasses} classes, the training data ${train.numClasses}`);
  }
}
