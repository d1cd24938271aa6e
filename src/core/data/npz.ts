/**
 * NumPy's `.npz` (a zip of `.npy` files, as `numpy.savez`/`savez_compressed` write, zip64 included):
 * read every array, write a zip `numpy.load` reads. The zip itself is fflate's.
 */
import { unzipSync, zipSync, type Zippable } from 'fflate';
import { decodeNpy, encodeNpy, type NpyArray, type NpyDtype, type NpyValues } from './npy';
import { DatasetError } from './types';

export interface NpzEntry {
  /** The key `numpy.load(f)[key]` uses (the file in the zip is `<name>.npy`). */
  name: string;
  values: NpyValues;
  dtype: NpyDtype;
  shape: readonly number[];
}

/** Every array of an .npz, by key (file name without `.npy`). Each entry is decoded on first access. */
export function decodeNpz(bytes: Uint8Array): Map<string, () => NpyArray> {
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes);
  } catch (err) {
    throw new DatasetError(`not a valid .npz (zip) file: ${err instanceof Error ? err.message : String(err)}`);
  }
  const out = new Map<string, () => NpyArray>();
  for (const [file, data] of Object.entries(files)) {
    if (file.endsWith('/')) continue;
    const key = file.endsWith('.npy') ? file.slice(0, -4) : file;
    out.set(key, () => {
      try {
        return decodeNpy(data);
      } catch (err) {
        if (err instanceof DatasetError) throw new DatasetError(`array '${key}': ${err.message}`);
        throw err;
      }
    });
  }
  return out;
}

/** An .npz holding the entries (`compress`: deflate like savez_compressed; default stored like savez). */
export function encodeNpz(entries: readonly NpzEntry[], options: { compress?: boolean } = {}): Uint8Array {
  const files: Zippable = {};
  for (const e of entries) {
    if (Object.hasOwn(files, `${e.name}.npy`)) throw new DatasetError(`duplicate .npz key '${e.name}'`);
    files[`${e.name}.npy`] = encodeNpy(e.values, e.dtype, e.shape);
  }
  return zipSync(files, { level: options.compress ? 6 : 0 });
}
