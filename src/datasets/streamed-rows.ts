/**
 * `.npy` and `.npz` features read by offset, only the rows a batch needs: x's rows are contiguous in
 * a C-order `.npy` (an uncompressed `.npz` member is a plain `.npy` inside the zip), so row i is
 * `rowBytes` at `dataStart + i · rowBytes`. Runs of consecutive rows are read in one call. y (one
 * label, or a row of targets, per example) is read whole: the class count and the stratified split
 * need every label. The values are converted as a load converts them (core/data/arrays.ts), so a
 * streamed batch holds the loaded batch's bits.
 *
 * What cannot be read by offset is loaded whole, as before: a compressed (savez_compressed) member,
 * or x in Fortran order.
 */
import { closeSync, fstatSync, readSync } from 'node:fs';
import { basename, extname, resolve } from 'node:path';
import {
  DatasetError,
  decodeNpy,
  decodeNpyHeader,
  featuresToFloat32,
  labelsFromArrays,
  npyItemSize,
  readValues,
  rowSource,
  type NpyArray,
  type NpyHeader,
  type RowSource,
} from '../core/data/index';
import { isNamed, type NpySource, type NpzSource } from './arrays';
import { npzEntries, openFile, readEntryPrefix } from './npz-entries';
import { openRegularFile } from './files';

/** Bytes read for a .npy header: numpy pads headers to 64 bytes; big shapes still fit in 4 KiB. */
export const HEADER_BYTES = 4096;

/** x's rows in a file: where they start, their header, and an open descriptor. */
export interface FeatureFile {
  fd: number;
  path: string;
  header: NpyHeader;
  /** Absolute byte offset of the first value. */
  dataStart: number;
}

/** An .npy pair streamed, or null when x cannot be read by offset (Fortran order). */
export function streamNpy(source: NpySource): RowSource | null {
  if (isNamed(source)) return null; // named arrays: streamed-parts.ts
  const xPath = resolve(source.x as string);
  const yPath = resolve(source.y as string);
  const fd = openOrFail(xPath);
  try {
    const header = inFile(xPath, () => decodeNpyHeader(readAt(fd, 0, HEADER_BYTES)));
    if (header.fortranOrder && header.shape.length > 1) return close(fd);
    const file = { fd, path: xPath, header, dataStart: header.dataStart };
    checkLength(file, fstatSync(fd).size);
    const y = inFile(yPath, () => decodeNpy(readWhole(yPath)));
    return features(file, basename(xPath, extname(xPath)), y, source.task, `${xPath}, ${yPath}`);
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}

/** An .npz whose x member is stored (savez) streamed, or null when it is compressed or Fortran order. */
export async function streamNpz(source: NpzSource): Promise<RowSource | null> {
  if (isNamed(source)) return null; // named arrays: streamed-parts.ts
  const path = resolve(source.path);
  const { fh, size } = await openFile(path).catch((e: unknown) => failOpen(path, e));
  try {
    const entries = await inFileAsync(path, () => npzEntries(fh, size));
    const pick = (key: string) =>
      entries.get(key) ?? fail(`${path}: no array '${key}' (it has: ${[...entries.keys()].join(', ') || 'none'})`);
    const xEntry = pick((source.x as string | undefined) ?? 'x');
    const yEntry = pick((source.y as string | undefined) ?? 'y');
    if (xEntry.method !== 0) return null;
    const member = inFile(path, () => memberStart(fh.fd, xEntry.localOffset, xEntry.key));
    const header = inFile(path, () => decodeNpyHeader(readAt(fh.fd, member, HEADER_BYTES)));
    if (header.fortranOrder && header.shape.length > 1) return null;
    // y may be compressed: it is read whole through the zip reader.
    const y = await inFileAsync(path, async () => decodeNpy(await readEntryPrefix(fh, yEntry, Infinity)));
    const file = { fd: openOrFail(path), path, header, dataStart: member + header.dataStart };
    try {
      checkLength(file, member + xEntry.compressedSize);
      return features(file, basename(path, extname(path)), y, source.task, path);
    } catch (e) {
      closeSync(file.fd);
      throw e;
    }
  } finally {
    await fh.close();
  }
}

function features(file: FeatureFile, name: string, y: NpyArray, task: NpySource['task'], where: string): RowSource {
  const { info, labels } = inFile(where, () => labelsFromArrays(name, file.header, y, { task }));
  const rowValues = info.featureShape.reduce((a, b) => a * b, 1);
  const rows = rowSource(info, labels, (indices, out) =>
    readFeatureRows(file, rowValues, indices, where, (values, r) => out.set(values, r * rowValues)),
  );
  let open = true;
  const closeOnce = () => {
    if (open) closeSync(file.fd);
    open = false;
  };
  return { ...rows, close: closeOnce };
}

/**
 * The rows at `indices` of a feature file, `rowValues` values each, converted as a load converts them:
 * runs of consecutive rows are read in one call each and handed to `put(values, r, count)` (rows r…r+count−1
 * of `indices`).
 */
export function readFeatureRows(
  file: FeatureFile,
  rowValues: number,
  indices: ArrayLike<number>,
  where: string,
  put: (values: Float32Array, r: number, count: number) => void,
): void {
  const { header } = file;
  const rowBytes = rowValues * npyItemSize(header.dtype);
  for (let r = 0; r < indices.length;) {
    let end = r + 1;
    while (end < indices.length && indices[end] === indices[end - 1]! + 1) end++;
    const first = indices[r]!;
    const bytes = readAt(file.fd, file.dataStart + first * rowBytes, (end - r) * rowBytes);
    if (bytes.length < (end - r) * rowBytes) fail(`${file.path}: truncated while reading rows ${first}–${first + end - r - 1}`);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const values = readValues(view, 0, (end - r) * rowValues, header.dtype, header.littleEndian);
    put(
      inFile(where, () => featuresToFloat32({ dtype: header.dtype, data: values }, first * rowValues)),
      r,
      end - r,
    );
    r = end;
  }
}

/** Where a stored zip member's content starts: after its local header, name and extra field. */
export function memberStart(fd: number, localOffset: number, key: string): number {
  const local = readAt(fd, localOffset, 30);
  const v = new DataView(local.buffer, local.byteOffset, local.byteLength);
  if (local.length < 30 || v.getUint32(0, true) !== 0x04034b50) fail(`not a valid .npz (zip) file: corrupt entry ${key}`);
  return localOffset + 30 + v.getUint16(26, true) + v.getUint16(28, true);
}

/** x must hold all its rows: a file cut short says so now, not at some later step. */
export function checkLength(file: FeatureFile, end: number): void {
  const { shape, dtype } = file.header;
  const need = shape.reduce((a, b) => a * b, 1) * npyItemSize(dtype);
  if (end - file.dataStart < need)
    fail(
      `${file.path}: truncated .npy file: shape (${shape.join(', ')}) of ${dtype} needs ${need} bytes, the file has ${end - file.dataStart}`,
    );
}

export function readAt(fd: number, position: number, length: number): Uint8Array {
  const buf = new Uint8Array(length);
  let got = 0;
  while (got < length) {
    const n = readSync(fd, buf, got, length - got, position + got);
    if (n === 0) break;
    got += n;
  }
  return buf.subarray(0, got);
}

export function readWhole(path: string): Uint8Array {
  const fd = openOrFail(path);
  try {
    return readAt(fd, 0, fstatSync(fd).size);
  } finally {
    closeSync(fd);
  }
}

/** A regular file, opened without blocking (a FIFO swapped in after validation would hang a worker). */
export function openOrFail(path: string): number {
  try {
    return openRegularFile(path).fd;
  } catch (e) {
    throw new DatasetError(`${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

export function failOpen(path: string, e: unknown): never {
  const code = (e as { code?: string }).code;
  const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (e as Error).message;
  throw new DatasetError(`${path}: ${reason}`);
}

function close(fd: number): null {
  closeSync(fd);
  return null;
}

function fail(message: string): never {
  throw new DatasetError(message);
}

export function inFile<T>(path: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof DatasetError && !err.message.startsWith(path)) throw new DatasetError(`${path}: ${err.message}`);
    throw err;
  }
}

export async function inFileAsync<T>(path: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof DatasetError && !err.message.startsWith(path)) throw new DatasetError(`${path}: ${err.message}`);
    throw err;
  }
}
