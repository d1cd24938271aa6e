/**
 * Random access to the arrays of an .npz (a zip) without reading the file whole: the zip's central
 * directory (at its end) says where each `<key>.npy` starts, so a header is a few reads of a few KiB.
 * Stored (savez) and deflated (savez_compressed) entries, zip64 included. Every number is checked
 * before it is trusted (core/data/zip.ts): an entry lies in the file, inflates to exactly its size,
 * and its CRC-32 matches.
 */
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { Inflate } from 'fflate';
import {
  DatasetError,
  ZIP_TAIL_BYTES,
  checkCrc,
  crc32 as jsCrc32,
  dataOffset,
  entryPrefix,
  findDirectory,
  inflateExactly,
  parseDirectory,
  readZip64Directory,
  type ZipEntry,
} from '../core/data/index';
import { fsReason } from './files';

/** An entry of the .npz, by key (file name without `.npy`). */
export interface NpzEntryRef extends ZipEntry {
  key: string;
}

/** Node's native CRC-32 where it has one (20.15+), else the pure one: the same numbers, ~7× faster. */
export const fastCrc32: (bytes: Uint8Array, crc?: number) => number =
  typeof zlibCrc32 === 'function' ? (b, c) => zlibCrc32(b, c) : jsCrc32;

/** Every entry of the zip at `fh`, by key, each checked to lie inside the file. */
export async function npzEntries(fh: FileHandle, fileSize: number): Promise<Map<string, NpzEntryRef>> {
  const tailLen = Math.min(fileSize, ZIP_TAIL_BYTES);
  let at = findDirectory(await readAt(fh, fileSize - tailLen, tailLen));
  if (at.zip64At !== null) at = { ...readZip64Directory(await readAt(fh, at.zip64At, 56)), zip64At: null };
  if (at.offset + at.size > fileSize)
    throw new DatasetError('not a valid zip file: the central directory runs past the end of the file');
  const out = new Map<string, NpzEntryRef>();
  for (const e of parseDirectory(await readAt(fh, at.offset, at.size), at.count, fileSize)) {
    if (!e.name.endsWith('/')) out.set(e.name.endsWith('.npy') ? e.name.slice(0, -4) : e.name, { ...e, key: e.name });
  }
  return out;
}

async function dataStart(fh: FileHandle, entry: ZipEntry): Promise<number> {
  return dataOffset(await readAt(fh, entry.localOffset, 30), entry);
}

/** The first `want` bytes of an entry's content (fewer if it is shorter), inflating only what they need. */
export async function readEntryPrefix(fh: FileHandle, entry: NpzEntryRef, want: number): Promise<Uint8Array> {
  return entryPrefix(entry, await dataStart(fh, entry), want, (offset, length) => readAt(fh, offset, length));
}

/** An entry's whole content, inflated into exactly its declared size, its CRC-32 checked. */
export async function readEntry(fh: FileHandle, entry: NpzEntryRef): Promise<Uint8Array> {
  const raw = await readAt(fh, await dataStart(fh, entry), entry.compressedSize);
  const data = entry.method === 0 ? raw : inflateExactly(raw, entry);
  checkCrc(data, entry, fastCrc32(data));
  return data;
}

/**
 * Streams an entry's content through `onChunk` in pieces of about 1 MiB (nothing kept), checking its
 * size and CRC-32 at the end: validation verifies an array it does not load.
 */
export async function scanEntry(fh: FileHandle, entry: NpzEntryRef, onChunk: (chunk: Uint8Array) => void): Promise<void> {
  const start = await dataStart(fh, entry);
  let crc = 0;
  let size = 0;
  const take = (chunk: Uint8Array) => {
    crc = fastCrc32(chunk, crc);
    size += chunk.length;
    if (size > entry.uncompressedSize)
      throw new DatasetError(`'${entry.key}' is corrupt: it inflates past the ${entry.uncompressedSize} bytes it says`);
    onChunk(chunk);
  };
  const inflate = entry.method === 8 ? new Inflate((chunk) => take(chunk)) : null;
  if (entry.method !== 0 && !inflate)
    throw new DatasetError(`'${entry.key}' uses zip method ${entry.method} (only stored and deflated are read)`);
  for (let at = 0; at < entry.compressedSize; at += CHUNK) {
    const piece = await readAt(fh, start + at, Math.min(CHUNK, entry.compressedSize - at));
    if (!inflate) take(piece);
    else {
      try {
        inflate.push(piece, at + piece.length >= entry.compressedSize);
      } catch (e) {
        if (e instanceof DatasetError) throw e;
        throw new DatasetError(
          `'${entry.key}' is corrupt: it does not inflate (${e instanceof Error ? e.message.slice(0, 80) : ''})`,
        );
      }
    }
  }
  if (size !== entry.uncompressedSize)
    throw new DatasetError(`'${entry.key}' is corrupt: it holds ${size} bytes, not the ${entry.uncompressedSize} it says`);
  checkCrc(new Uint8Array(0), entry, crc);
}

const CHUNK = 1 << 20;

/** Opens a data file that must be a regular file (a FIFO or a device is refused before any read). */
export async function openFile(path: string): Promise<{ fh: FileHandle; size: number }> {
  let fh: FileHandle;
  try {
    // Non-blocking: opening a FIFO for reading would otherwise wait for a writer, forever.
    fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw new DatasetError(fsReason(e));
  }
  const st = await fh.stat();
  if (!st.isFile()) {
    await fh.close();
    throw new DatasetError(
      st.isDirectory()
        ? 'it is a directory'
        : st.isFIFO()
          ? 'it is a FIFO (named pipe), not a regular file'
          : 'it is not a regular file',
    );
  }
  return { fh, size: st.size };
}

export async function readAt(fh: FileHandle, position: number, length: number): Promise<Uint8Array> {
  const buf = new Uint8Array(length);
  const { bytesRead } = await fh.read(buf, 0, length, position);
  return buf.subarray(0, bytesRead);
}
