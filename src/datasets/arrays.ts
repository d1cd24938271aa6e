/**
 * NumPy files as datasets: `{"kind": "npz", "path", "x", "y"}` (keys default to x and y) and
 * `{"kind": "npy", "x": FILE, "y": FILE}`. Every error is one line naming the file (and key).
 */
import { basename, extname, resolve } from 'node:path';
import {
  DatasetError,
  datasetFromArrays,
  datasetFromParts,
  decodeNpy,
  decodeNpz,
  type Dataset,
  type NpyArray,
  type Task,
} from '../core/data/index';
import { readRegularFile } from './files';
import { fastCrc32 } from './npz-entries';

/**
 * An array (an .npz key, an .npy file), or one per named model input or output (`{"title": KEY, …}`):
 * several are packed into one row per example (core/data/parts.ts).
 */
export type ArrayRef = string | Record<string, string>;

export interface NpzSource {
  kind: 'npz';
  path: string;
  x?: ArrayRef;
  y?: ArrayRef;
  task?: Task;
}
export interface NpySource {
  kind: 'npy';
  x: ArrayRef;
  y: ArrayRef;
  task?: Task;
}

/** True when x or y names its arrays per model input or output (loaded whole: see docs/run-config.md). */
export const isNamed = (source: { x?: ArrayRef; y?: ArrayRef }): boolean =>
  typeof source.x === 'object' || typeof source.y === 'object';

/** A named form's entries, each a non-empty string: one line naming the bad one. */
export function namedRefs(ref: ArrayRef | undefined, fallback: string, what: 'x' | 'y'): { name: string; ref: string }[] {
  if (ref === undefined) return [{ name: '', ref: fallback }];
  if (typeof ref === 'string') return [{ name: '', ref }];
  if (ref === null || Array.isArray(ref) || typeof ref !== 'object')
    throw new DatasetError(`data.${what} must be an array name or {"<model ${what === 'x' ? 'input' : 'output'}>": array, …}`);
  const entries = Object.entries(ref);
  if (entries.length === 0) throw new DatasetError(`data.${what} names no arrays`);
  return entries.map(([name, r]) => {
    if (typeof r !== 'string' || r === '')
      throw new DatasetError(`data.${what}.${name} must be an array name (got ${JSON.stringify(r)})`);
    return { name, ref: r };
  });
}

/** Named arrays → a packed dataset; a plain x and y → datasetFromArrays. */
function fromArrays(
  name: string,
  source: NpzSource | NpySource,
  get: (ref: string) => NpyArray,
  fallback: [string, string],
): Dataset {
  const xs = namedRefs(source.x, fallback[0], 'x');
  const ys = namedRefs(source.y, fallback[1], 'y');
  if (!isNamed(source)) return datasetFromArrays(name, get(xs[0]!.ref), get(ys[0]!.ref), { task: source.task });
  const read = (refs: { name: string; ref: string }[], what: string) =>
    refs.map((r) => ({
      name: r.name,
      label: r.name ? `${what}.${r.name} ('${r.ref}')` : `${what} ('${r.ref}')`,
      array: get(r.ref),
    }));
  return datasetFromParts(name, read(xs, 'x'), read(ys, 'y'), { task: source.task });
}

export function loadNpzDataset(source: NpzSource): Dataset {
  if (typeof source.path !== 'string' || source.path === '') throw new DatasetError('npz dataset source needs a path');
  const path = resolve(source.path);
  const arrays = inFile(path, () => decodeNpz(readBytes(path), { crc32: fastCrc32 }));
  const pick = (key: string): NpyArray => {
    const get = arrays.get(key);
    if (!get) throw new DatasetError(`${path}: no array '${key}' (it has: ${[...arrays.keys()].join(', ') || 'none'})`);
    return inFile(path, get);
  };
  return inFile(path, () => fromArrays(basename(path, extname(path)), source, pick, ['x', 'y']));
}

export function loadNpyDataset(source: NpySource): Dataset {
  for (const key of ['x', 'y'] as const) {
    const v = source[key];
    if ((typeof v !== 'string' || v === '') && (typeof v !== 'object' || v === null))
      throw new DatasetError(`npy dataset source needs "${key}": a .npy file`);
  }
  const files = [...namedRefs(source.x, '', 'x'), ...namedRefs(source.y, '', 'y')].map((r) => resolve(r.ref));
  const read = (file: string) => {
    const path = resolve(file);
    return inFile(path, () => decodeNpy(readBytes(path)));
  };
  const name = basename(files[0]!, extname(files[0]!));
  return inFile(files.join(', '), () => fromArrays(name, source, read, ['', '']));
}

/** A regular file's bytes: a FIFO (which would block forever) or a device (which never ends) is refused unread. */
function readBytes(path: string): Uint8Array {
  return readRegularFile(path);
}

function inFile<T>(path: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof DatasetError) throw new DatasetError(`${path}: ${err.message}`);
    throw err;
  }
}
