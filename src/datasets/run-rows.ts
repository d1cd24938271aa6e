/**
 * A run's data as a worker reads it: row sources (core/data/rows.ts) for the training part and the
 * held-out part, each streamed from its file where that can be done by offset (an .npy, a stored
 * .npz member, an image folder: streamed-rows.ts, image-rows.ts) and loaded otherwise (CSV,
 * built-in, synthetic, a compressed .npz). The split and the parts are loadRunData's: a pure
 * function of the dataset and the seed, never of the device count or of how the rows are read.
 */
import { DatasetError, inMemoryRows, splitIndices, subsetRows, type RowSource } from '../core/data/index';
import type { DataSource, RunConfig, ValidationSource } from '../shared/api';
import { fullLoaders, type DatasetSource } from './load';
import { checkCompatible, heldOutSource } from './run-data';
import { datasetSourceOf } from './source';
import { streamNpy, streamNpz } from './streamed-rows';
import { streamNamedNpy, streamNamedNpz } from './streamed-parts';
import { isNamed } from './arrays';
import { imageRows } from './image-rows';

export interface RunRows {
  train: RowSource;
  validation: RowSource | null;
}

/** One source's rows: streamed where its file allows, else loaded. */
export async function openRows(source: DatasetSource): Promise<RowSource> {
  if (source !== null && typeof source === 'object') {
    if (source.kind === 'npy') {
      const rows = isNamed(source) ? streamNamedNpy(source) : streamNpy(source);
      return rows ?? inMemoryRows(fullLoaders.loadDatasetSync(source));
    }
    if (source.kind === 'npz') {
      const rows = isNamed(source) ? await streamNamedNpz(source) : await streamNpz(source);
      return rows ?? inMemoryRows(fullLoaders.loadDatasetSync(source));
    }
    if (source.kind === 'images') return imageRows(source);
  }
  return inMemoryRows(fullLoaders.loadDatasetSync(source));
}

export async function openRunRows(data: RunConfig['data'], seed: number): Promise<RunRows> {
  const { validation: spec, ...source } = data as RunConfig['data'] & Record<string, unknown>;
  const full = await openRows(datasetSourceOf(source as DataSource));
  if (spec === undefined || spec === null) return { train: full, validation: null };
  if (typeof spec !== 'object')
    throw new DatasetError('data.validation must be {"fraction": f}, {"path": FILE} or a data source');
  if ('fraction' in spec) {
    const labelled = { ...full, y: full.labels };
    const { train, validation } = splitIndices(labelled, { validationFraction: spec.fraction, seed: spec.seed ?? seed });
    if (validation.length === 0)
      throw new DatasetError(`data.validation.fraction ${spec.fraction} holds out no example of ${full.numExamples}`);
    return {
      train: subsetRows(full, train, `${full.name}/train`),
      validation: subsetRows(full, validation, `${full.name}/validation`),
    };
  }
  return { train: full, validation: await openHeldOut(spec, source as DataSource, full) };
}

/** A separate held-out set (loadHeldOut's source), read the way its file allows. */
export async function openHeldOut(spec: ValidationSource, trainingSource: DataSource, train: RowSource): Promise<RowSource> {
  const held = await openRows(datasetSourceOf(heldOutSource(spec, trainingSource, train)));
  checkCompatible(held, train);
  return held;
}
