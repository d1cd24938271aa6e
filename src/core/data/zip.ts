/**
 * The zip container of an .npz and a .keras archive, read with its own numbers checked before any byte
 * is inflated: each entry lies inside the file, a stored entry is as long as it says, an inflated one
 * never grows past its declared size, and its CRC-32 matches (numpy and Python's zipfile refuse a bad
 * one: so does this). The directory is parsed here; inflating is fflate's.
 */
import { Inflate, inflateSync } from 'fflate';
import { excerpt } from '../text/quote';
import { DatasetError } from './types';

export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflated. */
  method: number;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
  /** Where the entry's local header starts. */
  localOffset: number;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
/** The end record (22 bytes) plus the longest comment (65535): where the end record can start. */
export const ZIP_TAIL_BYTES = 65557 + 20;

const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
const corrupt = (what: string) => new DatasetError(`not a valid zip file: ${what}`);

export interface DirectoryPosition {
  count: number;
  size: number;
  offset: number;
  /** Where the zip64 end record is, when the 32-bit fields are saturated (read 56 bytes there). */
  zip64At: number | null;
}

/** Finds the central directory from the file's last bytes (the last ZIP_TAIL_BYTES, or all of a shorter file). */
export function findDirectory(tail: Uint8Array): DirectoryPosition {
  const v = view(tail);
  let e = -1;
  for (let i = tail.length - 22; i >= 0; i--)
    if (v.getUint32(i, true) === EOCD) {
      e = i;
      break;
    }
  if (e < 0) throw corrupt('no end of central directory');
  const zip64 = e >= 20 && v.getUint32(e - 20, true) === ZIP64_LOCATOR;
  return {
    count: v.getUint16(e + 10, true),
    size: v.getUint32(e + 12, true),
    offset: v.getUint32(e + 16, true),
    zip64At: zip64 ? Number(v.getBigUint64(e - 12, true)) : null,
  };
}

/** The zip64 end record's numbers (56 bytes read at `zip64At`). */
export function readZip64Directory(record: Uint8Array): Omit<DirectoryPosition, 'zip64At'> {
  const z = view(record);
  if (record.length < 56 || z.getUint32(0, true) !== ZIP64_EOCD) throw corrupt('corrupt zip64 end record');
  return {
    count: Number(z.getBigUint64(32, true)),
    size: Number(z.getBigUint64(40, true)),
    offset: Number(z.getBigUint64(48, true)),
  };
}

/** The entries of a central directory, each checked to lie inside a file of `fileSize` bytes. */
export function parseDirectory(cd: Uint8Array, count: number, fileSize: number): ZipEntry[] {
  const v = view(cd);
  const out: ZipEntry[] = [];
  for (let p = 0, i = 0; i < count; i++) {
    if (p + 46 > cd.length || v.getUint32(p, true) !== CENTRAL) throw corrupt('corrupt central directory');
    const nameLen = v.getUint16(p + 28, true);
    const extraLen = v.getUint16(p + 30, true);
    const commentLen = v.getUint16(p + 32, true);
    if (p + 46 + nameLen + extraLen > cd.length) throw corrupt('corrupt central directory');
    const entry: ZipEntry = {
      name: new TextDecoder().decode(cd.subarray(p + 46, p + 46 + nameLen)),
      method: v.getUint16(p + 10, true),
      crc32: v.getUint32(p + 16, true),
      compressedSize: v.getUint32(p + 20, true),
      uncompressedSize: v.getUint32(p + 24, true),
      localOffset: v.getUint32(p + 42, true),
    };
    readZip64Extra(v, p + 46 + nameLen, extraLen, entry);
    if (entry.localOffset + 30 + entry.compressedSize > fileSize)
      throw corrupt(`entry '${excerpt(entry.name)}' runs past the end of the file (${fileSize} bytes)`);
    if (entry.method === 0 && entry.compressedSize !== entry.uncompressedSize)
      throw corrupt(
        `stored entry '${excerpt(entry.name)}' says ${entry.uncompressedSize} bytes but holds ${entry.compressedSize}`,
      );
    out.push(entry);
    p += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}

/** Zip64: the sizes and offset saturated at 0xFFFFFFFF are in extra field 0x0001, in this order. */
function readZip64Extra(v: DataView, start: number, length: number, e: ZipEntry): void {
  for (let x = start; x + 4 <= start + length; x += 4 + v.getUint16(x + 2, true)) {
    if (v.getUint16(x, true) !== 1) continue;
    let f = x + 4;
    if (e.uncompressedSize === 0xffffffff) {
      e.uncompressedSize = Number(v.getBigUint64(f, true));
      f += 8;
    }
    if (e.compressedSize === 0xffffffff) {
      e.compressedSize = Number(v.getBigUint64(f, true));
      f += 8;
    }
    if (e.localOffset === 0xffffffff) e.localOffset = Number(v.getBigUint64(f, true));
  }
}

/** Where the entry's data starts, from its 30-byte local header. */
export function dataOffset(local: Uint8Array, entry: ZipEntry): number {
  const v = view(local);
  if (local.length < 30 || v.getUint32(0, true) !== LOCAL) throw corrupt(`corrupt local header of '${excerpt(entry.name)}'`);
  return entry.localOffset + 30 + v.getUint16(26, true) + v.getUint16(28, true);
}

/** Every entry of a zip held in memory, checked against its length. */
export function zipEntries(bytes: Uint8Array): ZipEntry[] {
  let at = findDirectory(bytes.subarray(Math.max(0, bytes.length - ZIP_TAIL_BYTES)));
  if (at.zip64At !== null) at = { ...readZip64Directory(bytes.subarray(at.zip64At, at.zip64At + 56)), zip64At: null };
  if (at.offset + at.size > bytes.length) throw corrupt('the central directory runs past the end of the file');
  return parseDirectory(bytes.subarray(at.offset, at.offset + at.size), at.count, bytes.length);
}

/**
 * One entry's content from a zip in memory, at most `maxBytes` long (refused before inflating when it
 * says more), inflated into exactly its declared size, its CRC-32 checked. A stored entry is a view.
 */
export function readZipEntry(
  bytes: Uint8Array,
  entry: ZipEntry,
  maxBytes = Number.MAX_SAFE_INTEGER,
  crc: (bytes: Uint8Array) => number = crc32,
): Uint8Array {
  if (entry.uncompressedSize > maxBytes)
    throw new DatasetError(
      `'${excerpt(entry.name)}' says it holds ${entry.uncompressedSize} bytes, more than the ${maxBytes} it can`,
    );
  const start = dataOffset(bytes.subarray(entry.localOffset, entry.localOffset + 30), entry);
  const raw = bytes.subarray(start, start + entry.compressedSize);
  const data = entry.method === 0 ? raw : inflateExactly(raw, entry);
  checkCrc(data, entry, crc(data));
  return data;
}

export function inflateExactly(compressed: Uint8Array, entry: ZipEntry): Uint8Array {
  if (entry.method !== 8)
    throw new DatasetError(`'${excerpt(entry.name)}' uses zip method ${entry.method} (only stored and deflated are read)`);
  const out = new Uint8Array(entry.uncompressedSize);
  let data: Uint8Array;
  try {
    data = inflateSync(compressed, { out });
  } catch (e) {
    throw new DatasetError(
      `'${excerpt(entry.name)}' is corrupt: it does not inflate (${excerpt(e instanceof Error ? e.message : String(e))})`,
    );
  }
  if (data.length !== entry.uncompressedSize || data.buffer !== out.buffer)
    throw new DatasetError(
      `'${excerpt(entry.name)}' is corrupt: it inflates to another size than the ${entry.uncompressedSize} bytes it says`,
    );
  return data;
}

export function checkCrc(data: Uint8Array, entry: ZipEntry, crc = crc32(data)): void {
  if (crc !== entry.crc32)
    throw new DatasetError(
      `'${excerpt(entry.name)}' is corrupt: bad CRC-32 (its bytes are not the ones written; numpy and zipfile refuse it too)`,
    );
}

/**
 * The first `want` bytes of an entry's content, inflating only what they need: a header is a block
 * or two. `read(offset, length)` gives the compressed bytes.
 */
export async function entryPrefix(
  entry: ZipEntry,
  start: number,
  want: number,
  read: (offset: number, length: number) => Promise<Uint8Array> | Uint8Array,
): Promise<Uint8Array> {
  if (entry.method === 0) return read(start, Math.min(want, entry.compressedSize));
  if (entry.method !== 8)
    throw new DatasetError(`'${excerpt(entry.name)}' uses zip method ${entry.method} (only stored and deflated are read)`);
  const parts: Uint8Array[] = [];
  let got = 0;
  const inflate = new Inflate((chunk) => {
    parts.push(chunk);
    got += chunk.length;
  });
  try {
    for (let at = 0; at < entry.compressedSize && got < want; at += 1 << 16) {
      const piece = await read(start + at, Math.min(1 << 16, entry.compressedSize - at));
      inflate.push(piece, at + piece.length >= entry.compressedSize);
    }
  } catch (e) {
    throw new DatasetError(
      `'${excerpt(entry.name)}' is corrupt: it does not inflate (${excerpt(e instanceof Error ? e.message : String(e))})`,
    );
  }
  const all = new Uint8Array(got);
  parts.reduce((o, p) => (all.set(p, o), o + p.length), 0);
  return all.subarray(0, Math.min(want, got));
}

const CRC_TABLES = (() => {
  const t = new Uint32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  for (let n = 0; n < 256; n++)
    for (let k = 1; k < 8; k++) t[k * 256 + n] = (t[(k - 1) * 256 + n]! >>> 8) ^ t[t[(k - 1) * 256 + n]! & 0xff]!;
  return t;
})();

/** CRC-32 (the zip and PNG one), continuing from `crc` over more bytes; slicing by 8 bytes. */
export function crc32(bytes: Uint8Array, crc = 0): number {
  const t = CRC_TABLES;
  let c = ~crc >>> 0;
  let i = 0;
  for (const end = bytes.length - 8; i <= end; i += 8) {
    const a = (c ^ (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24))) >>> 0;
    c =
      t[7 * 256 + (a & 0xff)]! ^
      t[6 * 256 + ((a >>> 8) & 0xff)]! ^
      t[5 * 256 + ((a >>> 16) & 0xff)]! ^
      t[4 * 256 + (a >>> 24)]! ^
      t[3 * 256 + bytes[i + 4]!]! ^
      t[2 * 256 + bytes[i + 5]!]! ^
      t[256 + bytes[i + 6]!]! ^
      t[bytes[i + 7]!]!;
  }
  for (; i < bytes.length; i++) c = t[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}
