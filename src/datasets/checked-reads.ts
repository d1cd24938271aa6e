/**
 * The reads validation makes of `.npy`/`.npz` sources (inspect-source.ts for one x and y,
 * inspect-parts.ts for named arrays): a `.npy` checked against its file's size before anything is
 * read, optionally streamed once through a scan, and errors prefixed with the file or array they are
 * about.
 */
import type { FileHandle } from 'node:fs/promises';
import {
  DatasetError,
  NPY_HEADER_BYTES,
  checkNpyEntry,
  decodeNpy,
  decodeNpyHeader,
  npyDataBytes,
  type NpyHeader,
} from '../core/data/index';
import { openFile, readAt, readEntryPrefix, type NpzEntryRef } from './npz-entries';

const CHUNK_BYTES = 1 << 20;

/** A consumer of a `.npy`'s bytes from its first byte, or null when the header needs no scan. */
export type NpyScan = (h: NpyHeader) => ((chunk: Uint8Array) => void) | null;

/**
 * A `.npy` by its header (a truncated file refused here, before any data is read), streamed once
 * through `scan` when it asks; with `whole`, decoded whole instead.
 */
export async function readCheckedNpy(path: string, scan: NpyScan | null, whole: true): Promise<ReturnType<typeof decodeNpy>>;
export async function readCheckedNpy(path: string, scan: NpyScan | null): Promise<NpyHeader>;
export async function readCheckedNpy(
  path: string,
  scan: NpyScan | null,
  whole = false,
): Promise<NpyHeader | ReturnType<typeof decodeNpy>> {
  const { fh, size } = await openFile(path);
  try {
    const header = decodeNpyHeader(await readAt(fh, 0, Math.min(size, NPY_HEADER_BYTES)));
    const needs = header.dataStart + npyDataBytes(header);
    if (needs > size)
      throw new DatasetError(
        `truncated .npy file: shape (${header.shape.join(', ')}) of ${header.dtype} needs ${needs - header.dataStart} bytes, the file has ${Math.max(0, size - header.dataStart)}`,
      );
    const consume = scan?.(header);
    if (consume) for (let at = 0; at < needs; at += CHUNK_BYTES) consume(await readAt(fh, at, Math.min(CHUNK_BYTES, needs - at)));
    return whole ? decodeNpy(await readAt(fh, 0, needs)) : header;
  } finally {
    await fh.close();
  }
}

/** An .npz's entry by its key; a missing key names the keys the file has. */
export function npzEntry(entries: Map<string, NpzEntryRef>, key: string): NpzEntryRef {
  const e = entries.get(key);
  if (!e) throw new DatasetError(`no array '${key}' (it has: ${[...entries.keys()].join(', ') || 'none'})`);
  return e;
}

/** An .npz member's .npy header, checked against the entry's sizes before anything is inflated. */
export async function npzEntryHeader(fh: FileHandle, key: string, e: NpzEntryRef): Promise<NpyHeader> {
  const prefix = await inArray(key, () => readEntryPrefix(fh, e, NPY_HEADER_BYTES));
  const header = await inArray(key, () => decodeNpyHeader(prefix));
  await inArray(key, () => checkNpyEntry(e, header));
  return header;
}

/** `fn`'s dataset error, prefixed with the array it is about. */
export async function inArray<T>(key: string, fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof DatasetError) throw new DatasetError(`array '${key}': ${err.message}`);
    throw err;
  }
}

/** `fn`'s dataset error, prefixed with the file it is about. */
export async function inFile<T>(path: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof DatasetError) throw new DatasetError(`${path}: ${err.message}`);
    throw err;
  }
}
