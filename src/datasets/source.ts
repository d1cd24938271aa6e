import type { ConfigIssue, DataSource } from '../shared/api';
import { unknownKeyMessage } from '../core/text/did-you-mean';
import type { DatasetSource } from './load';
import { DatasetError } from '../core/data/index';

/** Keys every kind takes: how the data is used (batch order, held-out data), not what it is. */
const USAGE_KEYS = ['kind', 'shuffle', 'validation'];

/**
 * Keys each kind of `data` accepts besides USAGE_KEYS (CSV also takes the parser's options; see
 * docs/run-config.md). A new kind must be listed here: the Record type makes the compiler say so.
 */
const SOURCE_KEYS: Record<DataSource['kind'], readonly string[]> = {
  builtin: ['name'],
  synthetic: ['name', 'options'],
  csv: ['path', 'labelColumn', 'normalize', 'hasHeader', 'task', 'delimiter', 'name', 'featureShape', 'classNames', 'classOrder'],
  npz: ['path', 'x', 'y', 'task'],
  npy: ['x', 'y', 'task'],
  images: ['path', 'size', 'channels', 'rescale'],
};
/** Kinds read from a file or folder at `path`. */
const PATH_KINDS: readonly string[] = ['csv', 'npz', 'images'];
const KINDS = Object.keys(SOURCE_KEYS);

/**
 * Structural problems of a run config's `data` (unknown kind, unknown keys with a "did you mean",
 * missing path or name), as issues at `data.KEY`. Typos must not be ignored: `normalise` would
 * silently train on z-scored data.
 */
export function dataSourceIssues(source: unknown): ConfigIssue[] {
  if (typeof source !== 'object' || source === null || Array.isArray(source))
    return [{ path: 'data', message: 'a data source object is required, e.g. {"kind": "builtin", "name": "iris"}' }];
  const s = source as Record<string, unknown>;
  if (typeof s.kind !== 'string' || !KINDS.includes(s.kind)) {
    return [
      {
        path: 'data.kind',
        message: `unknown data source kind ${JSON.stringify(s.kind) ?? 'nothing'} (expected ${KINDS.join(', ')})`,
      },
    ];
  }
  const known = [...USAGE_KEYS, ...SOURCE_KEYS[s.kind as DataSource['kind']]];
  const issues = Object.keys(s)
    .filter((k) => !known.includes(k))
    .map((k) => ({ path: `data.${k}`, message: unknownKeyMessage(k, known) }));
  if (PATH_KINDS.includes(s.kind) && (typeof s.path !== 'string' || s.path === ''))
    issues.push({ path: 'data.path', message: `a ${s.kind} source needs a path` });
  if ((s.kind === 'builtin' || s.kind === 'synthetic') && (typeof s.name !== 'string' || s.name === ''))
    issues.push({ path: 'data.name', message: `a ${s.kind} source needs a dataset name` });
  return issues;
}

/** A run config's data source (the API shape) → the loader's source description. */
export function datasetSourceOf(source: DataSource): DatasetSource {
  // Keys about how the data is used, not what it is, stay with the run: the batch order, held-out data.
  const { shuffle, validation: _validation, ...rest } = source as DataSource & { shuffle?: unknown; validation?: unknown };
  if (shuffle !== undefined && typeof shuffle !== 'boolean')
    throw new DatasetError(`data.shuffle must be true or false (got ${JSON.stringify(shuffle)})`);
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
      throw new DatasetError(
        `unknown data source kind '${(source as { kind?: unknown }).kind}' (expected builtin, synthetic, csv, npz, npy or images)`,
      );
  }
}
