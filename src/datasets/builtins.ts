/**
 * Datasets that ship with the app: real ones as files under resources/datasets, synthetic ones
 * generated with their default options (so a builtin name always means the same data).
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DatasetError, type CsvOptions, type Task } from '../core/data/index';
import { SYNTHETIC_DESCRIPTIONS, type SyntheticName } from '../core/data/synthetic';
import { dataPlaces } from './places';

export interface BuiltinDatasetInfo {
  name: string;
  /** One line for lists and --help. */
  description: string;
  task: Task;
  /** 'file' datasets are read from resources/datasets; 'synthetic' ones are generated. */
  origin: 'file' | 'synthetic';
}

interface FileBuiltin extends BuiltinDatasetInfo {
  origin: 'file';
  file: string;
  csv: CsvOptions;
}

const FILE_BUILTINS: FileBuiltin[] = [
  {
    name: 'iris',
    description: 'Iris flowers (Fisher 1936; UCI, CC BY 4.0): 150 examples, 4 measurements, 3 species; z-scored',
    task: 'classification',
    origin: 'file',
    file: 'iris.csv',
    csv: { name: 'iris', labelColumn: 'species', hasHeader: true, task: 'classification', normalize: 'zscore' },
  },
];

const SYNTHETIC_TASKS: Record<SyntheticName, Task> = {
  'synthetic-shapes': 'classification',
  spirals: 'classification',
  blobs: 'classification',
  'linear-regression': 'regression',
};

/** Every builtin dataset with a one-line description. */
export function listBuiltinDatasets(): BuiltinDatasetInfo[] {
  const files = FILE_BUILTINS.map(({ name, description, task, origin }) => ({ name, description, task, origin }));
  const synthetic = (Object.keys(SYNTHETIC_TASKS) as SyntheticName[]).map((name) => ({
    name,
    description: `${SYNTHETIC_DESCRIPTIONS[name]}; builtin uses the defaults with seed 0`,
    task: SYNTHETIC_TASKS[name],
    origin: 'synthetic' as const,
  }));
  return [...files, ...synthetic];
}

/** How a builtin name is loaded: a file with CSV options, or a synthetic generator name. */
export function resolveBuiltin(name: string): { file: string; csv: CsvOptions } | { synthetic: SyntheticName } {
  const file = FILE_BUILTINS.find((b) => b.name === name);
  if (file) return { file: join(datasetsDir(), file.file), csv: file.csv };
  if (Object.hasOwn(SYNTHETIC_TASKS, name)) return { synthetic: name as SyntheticName };
  const known = listBuiltinDatasets()
    .map((b) => b.name)
    .join(', ');
  throw new DatasetError(`unknown builtin dataset '${name}' (known: ${known})`);
}

/**
 * The folder holding the shipped dataset files: the process's DTRAIN_DATASETS_DIR (dataPlaces),
 * Electron's resources folder, or the nearest resources/datasets above this module (source
 * checkout and bundled out/ alike).
 */
export function datasetsDir(): string {
  const given = dataPlaces().datasetsDir;
  if (given) return resolve(given);
  const electronResources = (process as { resourcesPath?: string }).resourcesPath;
  const candidates = electronResources ? [join(electronResources, 'datasets')] : [];
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    candidates.push(join(dir, 'resources', 'datasets'));
    if (dirname(dir) === dir) break;
  }
  const found = candidates.find((c) => existsSync(join(c, 'iris.csv')));
  if (found === undefined) {
    throw new DatasetError(
      `cannot find the builtin datasets folder (looked in ${candidates.join(', ')}); set DTRAIN_DATASETS_DIR`,
    );
  }
  return found;
}
