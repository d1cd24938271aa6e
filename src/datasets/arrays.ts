/**
 * NumPy files as datasets: `{"kind": "npz", "path", "x", "y"}` (keys default to x and y) and
 * `{"kind": "npy", "x": FILE, "y": FILE}`. Every error is one line naming the file (and key).
 */
import { basename, extname, resolve } from 'node:path';
import {
  DatasetError,
  datasetFromArrays,
  decodeNpy,
  decodeNpz,
  type Dataset,
  type NpyArray,
  type Task,
} from '../core/data/index';
import { readRegularFile } from './files';
import { fastCrc32 } from './npz-entries';

export interface NpzSource {
  kind: 'npz';
  path: string;
  x?: string;
  y?: string;
  task?: Task;
}
export interface NpySource {
  kind: 'npy';
  x: string;
  y: string;
  task?: Task;
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
  const x = pick(source.x ?? 'x');
  const y = pick(source.y ?? 'y');
  return inFile(path, () => datasetFromArrays(basename(path, extname(path)), x, y, { task: source.task }));
}

export function loadNpyDataset(source: NpySource): Dataset {
  for (const key of ['x', 'y'] as const) {
    if (typeof source[key] !== 'string' || source[key] === '')
      throw new DatasetError(`npy dataset source needs "${key}": a .npy file`);
  }
  const xPath = resolve(source.x);
  const yPath = resolve(source.y);
  const x = inFile(xPath, () => decodeNpy(readBytes(xPath)));
  const y = inFile(yPath, () => decodeNpy(readBytes(yPath)));
  return inFile(`${xPath}, ${yPath}`, () => datasetFromArrays(basename(xPath, extname(xPath)), x, y, { task: source.task }));
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
