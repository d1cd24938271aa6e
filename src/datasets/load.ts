/**
 * Loads a dataset from a serializable source description. The coordinator stores the source with
 * the run and every worker calls loadDataset on it, so all processes hold identical data.
 */
import { createReadStream, readFileSync } from 'node:fs';
import { basename, extname, resolve } from 'node:path';
import {
  DatasetError,
  createCsvParser,
  makeSynthetic,
  parseCsv,
  type CsvOptions,
  type Dataset,
  type SyntheticSpec,
} from '../core/data/index';
import { resolveBuiltin } from './builtins';
import { fsReason } from './files';
import { loadNpyDataset, loadNpzDataset, type NpySource, type NpzSource } from './arrays';
import { loadImageDataset, type ImageSource } from './images';

export type DatasetSource =
  | ({ kind: 'csv'; path: string } & CsvOptions)
  | { kind: 'builtin'; name: string }
  | ({ kind: 'synthetic' } & SyntheticSpec)
  | NpzSource
  | NpySource
  | ImageSource;

export { listBuiltinDatasets } from './builtins';
export type { BuiltinDatasetInfo } from './builtins';

/** Reads big files in 1 MiB pieces: the parser never needs the whole text at once. */
const CHUNK_BYTES = 1 << 20;

export async function loadDataset(source: DatasetSource): Promise<Dataset> {
  const plan = planSource(source);
  if ('dataset' in plan) return plan.dataset;
  return readCsvFile(plan.path, plan.options);
}

/** The same as loadDataset, reading the file in one piece (for scripts and small files). */
export function loadDatasetSync(source: DatasetSource): Dataset {
  const plan = planSource(source);
  if ('dataset' in plan) return plan.dataset;
  let text: string;
  try {
    text = readFileSync(plan.path, 'utf8');
  } catch (err) {
    throw fileError(plan.path, err);
  }
  return withPath(plan.path, () => parseCsv(text, plan.options));
}

/**
 * The whole-dataset loaders, called through this object where a caller may only need a summary
 * (run-data, the inspector's fallback), so a test can prove validation never loads a source whole.
 */
export const fullLoaders = { loadDataset, loadDatasetSync };

type Plan = { dataset: Dataset } | { path: string; options: CsvOptions };

/** Generated sources become datasets now; file sources become a path and CSV options. */
function planSource(source: DatasetSource): Plan {
  if (source === null || typeof source !== 'object') throw new DatasetError('dataset source must be an object');
  switch (source.kind) {
    case 'csv':
      return csvPlan(source);
    case 'builtin': {
      const b = resolveBuiltin(source.name);
      return 'synthetic' in b ? { dataset: makeSynthetic({ name: b.synthetic }) } : { path: b.file, options: b.csv };
    }
    case 'synthetic': {
      const { kind: _kind, ...spec } = source;
      return { dataset: makeSynthetic(spec as SyntheticSpec) };
    }
    case 'npz':
      return { dataset: loadNpzDataset(source) };
    case 'npy':
      return { dataset: loadNpyDataset(source) };
    case 'images':
      return { dataset: loadImageDataset(source) };
    default:
      throw new DatasetError(
        `unknown dataset source kind '${String((source as { kind?: unknown }).kind)}' (use csv, builtin, synthetic, npz, npy or images)`,
      );
  }
}

/** A CSV source → its absolute path and parser options (name from the file, delimiter from the extension). */
export function csvPlan(source: { kind: 'csv'; path: string } & CsvOptions): { path: string; options: CsvOptions } {
  const { kind: _kind, path, ...options } = source;
  if (typeof path !== 'string' || path === '') throw new DatasetError('csv dataset source needs a path');
  const ext = extname(path).toLowerCase();
  return {
    path: resolve(path),
    options: {
      ...options,
      name: options.name ?? basename(path, extname(path)),
      delimiter: options.delimiter ?? (ext === '.tsv' || ext === '.tab' ? '\t' : ','),
    },
  };
}

/** Streams a CSV file through the incremental parser. */
export async function readCsvFile(path: string, options: CsvOptions): Promise<Dataset> {
  const parser = withPath(path, () => createCsvParser(options));
  const stream = createReadStream(path, { encoding: 'utf8', highWaterMark: CHUNK_BYTES });
  try {
    for await (const chunk of stream) withPath(path, () => parser.push(chunk as string));
  } catch (err) {
    stream.destroy();
    if (err instanceof DatasetError) throw err;
    throw fileError(path, err);
  }
  return withPath(path, () => parser.finish());
}

/** Prefixes parse errors with the file, keeping them one line. */
export function withPath<T>(path: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof DatasetError) throw new DatasetError(`${path}: ${err.message}`);
    throw err;
  }
}

export function fileError(path: string, err: unknown): DatasetError {
  return new DatasetError(`cannot read dataset file '${path}': ${fsReason(err)}`);
}
