/**
 * NumPy's `.npz` (a zip of `.npy` files, as `numpy.savez`/`savez_compressed` write, zip64 included):
 * read every array, write a zip `numpy.load` reads. The zip itself is fflate's.
 */
import { Inflate, zipSync, type Zippable } from 'fflate';
import {
  decodeNpy,
  decodeNpyHeader,
  encodeNpy,
  npyDataBytes,
  type NpyArray,
  type NpyDtype,
  type NpyHeader,
  type NpyValues,
} from './npy';
import { DatasetError } from './types';
import { dataOffset, readZipEntry, zipEntries, type ZipEntry } from './zip';
import { quote } from '../text/quote';

/** Bytes read for a .npy header: numpy pads headers to 64 bytes; big shapes still fit in 4 KiB. */
export const NPY_HEADER_BYTES = 4096;

export interface NpzEntry {
  /** The key `numpy.load(f)[key]` uses (the file in the zip is `<name>.npy`). */
  name: string;
  values: NpyValues;
  dtype: NpyDtype;
  shape: readonly number[];
}

export interface DecodeNpzOptions {
  /** A faster CRC-32 where the runtime has one (Node's zlib.crc32); default the pure one here. */
  crc32?: (bytes: Uint8Array, crc?: number) => number;
}

/**
 * Every array of an .npz, by key (file name without `.npy`). Each entry is decoded on first access,
 * after its numbers are checked: the entry lies in the file, its .npy header's shape fits the bytes it
 * holds (checked before inflating: a 5 MB file declaring 300M rows is refused at once), it inflates to
 * exactly that size and its CRC-32 matches.
 */
export function decodeNpz(bytes: Uint8Array, options: DecodeNpzOptions = {}): Map<string, () => NpyArray> {
  let entries: ZipEntry[];
  try {
    entries = zipEntries(bytes);
  } catch (err) {
    throw new DatasetError(
      `not a valid .npz (zip) file: ${err instanceof Error ? err.message.replace(/^not a valid zip file: /, '') : String(err)}`,
    );
  }
  const out = new Map<string, () => NpyArray>();
  for (const entry of entries) {
    if (entry.name.endsWith('/')) continue;
    const key = entry.name.endsWith('.npy') ? entry.name.slice(0, -4) : entry.name;
    out.set(key, () => {
      try {
        checkNpyEntry(entry, headerOf(bytes, entry));
        return decodeNpy(readZipEntry(bytes, entry, Number.MAX_SAFE_INTEGER, options.crc32));
      } catch (err) {
        if (err instanceof DatasetError) throw new DatasetError(`array ${quote(key)}: ${err.message}`);
        throw err;
      }
    });
  }
  return out;
}

/** The .npy header of an entry, inflating only its first block or two. */
function headerOf(bytes: Uint8Array, entry: ZipEntry): NpyHeader {
  const start = dataOffset(bytes.subarray(entry.localOffset, entry.localOffset + 30), entry);
  const want = Math.min(NPY_HEADER_BYTES, entry.uncompressedSize);
  const raw = bytes.subarray(start, start + entry.compressedSize);
  const prefix = entry.method === 0 ? raw.subarray(0, want) : inflatePrefix(raw, want, entry);
  return decodeNpyHeader(prefix);
}

function inflatePrefix(raw: Uint8Array, want: number, entry: ZipEntry): Uint8Array {
  const parts: Uint8Array[] = [];
  let got = 0;
  const inflate = new Inflate((chunk) => {
    parts.push(chunk);
    got += chunk.length;
  });
  try {
    for (let at = 0; at < raw.length && got < want; at += 1 << 16)
      inflate.push(raw.subarray(at, at + (1 << 16)), at + (1 << 16) >= raw.length);
  } catch (e) {
    throw new DatasetError(`it is corrupt: it does not inflate (${e instanceof Error ? e.message : String(e)})`);
  }
  const all = new Uint8Array(got);
  parts.reduce((o, p) => (all.set(p, o), o + p.length), 0);
  return all.subarray(0, Math.min(want, got));
}

/**
 * An .npy entry's header against the entry's size: numpy writes the header and then exactly the
 * values its shape declares. A shape that needs more bytes than the entry holds (truncated, or a lie)
 * is refused before the entry is inflated or read.
 */
export function checkNpyEntry(entry: Pick<ZipEntry, 'uncompressedSize'>, header: NpyHeader): void {
  const needs = header.dataStart + npyDataBytes(header);
  if (needs > entry.uncompressedSize)
    throw new DatasetError(
      `truncated .npy: shape (${header.shape.join(', ')}) of ${header.dtype} needs ${needs - header.dataStart} bytes, the entry holds ${Math.max(0, entry.uncompressedSize - header.dataStart)}`,
    );
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
