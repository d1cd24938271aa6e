import type { DataSource } from '../shared/api';
import type { DatasetSource } from './load';

/** A run config's data source (the API shape) → the loader's source description. */
export function datasetSourceOf(source: DataSource): DatasetSource {
  switch (source.kind) {
    case 'builtin':
      return { kind: 'builtin', name: source.name };
    case 'synthetic':
      return { kind: 'synthetic', name: source.name, ...(source.options ?? {}) } as DatasetSource;
    case 'csv': {
      const { kind: _kind, ...options } = source;
      return { kind: 'csv', ...options };
    }
    default:
      throw new Error(`unknown data source kind '${(source as { kind?: unknown }).kind}' (expected builtin, synthetic or csv)`);
  }
}
