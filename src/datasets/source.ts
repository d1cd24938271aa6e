import type { DataSource } from '../shared/api';
import type { DatasetSource } from './load';
import { DatasetError } from '../core/data/index';

/** A run config's data source (the API shape) → the loader's source description. */
export function datasetSourceOf(source: DataSource): DatasetSource {
  // Keys about how the data is used, not what it is, stay with the run: the batch order, held-out data.
  const { shuffle, validation: _validation, ...rest } = source as DataSource & { shuffle?: unknown; validation?: unknown };
  if (shuffle !== undefined && typeof shuffle !== 'boolean') throw new DatasetError(`data.shuffle must be true or false (got ${JSON.stringify(shuffle)})`);
  source = rest as DataSource;
  switch (source.kind) {
    case 'builtin':
      return { kind: 'builtin', name: source.name };
    case 'synthetic':
      return { kind: 'synthetic', name: source.name, ...(source.options ?? {}) } as DatasetSource;
    case 'csv': {
      const { kind: _kind, ...options } = source;
      return { kind: 'csv', ...options };
    }
    case 'npz':
    case 'npy':
    case 'images':
      return { ...source };
    default:
      throw new Error(`unknown data source kind '${(source as { kind?: unknown }).kind}' (expected builtin, synthetic, csv, npz, npy or images)`);
  }
}
