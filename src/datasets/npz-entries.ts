/**
 * Random access to the arrays of an .npz (a zip) without reading the file whole: the zip's central
 * directory (at its end) says where each `<key>.npy` starts, so a header is a few reads of a few KiB.
 * Stored (savez) and deflated (savez_compressed) entries, zip64 included; the inflating is fflate's.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { Inflate, inflateSync } from 'fflate';
import { DatasetError } from '../core/data/index';

export interface NpzEntryRef {
  key: string;
  method: number;
  compressedSize: number;
  localOffset: number;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

/** Every entry of the zip at `fh`, by key (file name without `.npy`). */
export async function npzEntries(fh: FileHandle, fileSize: number): Promise<Map<string, NpzEntryRef>> {
  const tailLen = Math.min(fileSize, 65557 + 20);
  const tail = await readAt(fh, fileSize - tailLen, tailLen);
  const tv = view(tail);
  let e = -1;
  for (let i = tail.length - 22; i >= 0; i--)
    if (tv.getUint32(i, true) === EOCD) {
      e = i;
      break;
    }
  if (e < 0) throw new DatasetError('not a valid .npz (zip) file: no end of central directory');
  let count = tv.getUint16(e + 10, true);
  let cdSize = tv.getUint32(e + 12, true);
  let cdOffset = tv.getUint32(e + 16, true);
  if (e >= 20 && tv.getUint32(e - 20, true) === ZIP64_LOCATOR) {
    const z = view(await readAt(fh, Number(tv.getBigUint64(e - 12, true)), 56));
    count = Number(z.getBigUint64(32, true));
    cdSize = Number(z.getBigUint64(40, true));
    cdOffset = Number(z.getBigUint64(48, true));
  }
  const cd = await readAt(fh, cdOffset, cdSize);
  const cv = view(cd);
  const out = new Map<string, NpzEntryRef>();
  for (let p = 0, i = 0; i < count; i++) {
    if (cv.getUint32(p, true) !== CENTRAL) throw new DatasetError('not a valid .npz (zip) file: corrupt central directory');
    const nameLen = cv.getUint16(p + 28, true);
    const extraLen = cv.getUint16(p + 30, true);
    const commentLen = cv.getUint16(p + 32, true);
    const name = new TextDecoder().decode(cd.subarray(p + 46, p + 46 + nameLen));
    let compressedSize = cv.getUint32(p + 20, true);
    const uncompressed = cv.getUint32(p + 24, true);
    let localOffset = cv.getUint32(p + 42, true);
    // Zip64: the sizes/offset saturated at 0xFFFFFFFF are in extra field 0x0001, in this order.
    for (let x = p + 46 + nameLen; x < p + 46 + nameLen + extraLen; x += 4 + cv.getUint16(x + 2, true)) {
      if (cv.getUint16(x, true) !== 1) continue;
      let f = x + 4;
      if (uncompressed === 0xffffffff) f += 8;
      if (compressedSize === 0xffffffff) {
        compressedSize = Number(cv.getBigUint64(f, true));
        f += 8;
      }
      if (localOffset === 0xffffffff) localOffset = Number(cv.getBigUint64(f, true));
    }
    if (!name.endsWith('/'))
      out.set(name.endsWith('.npy') ? name.slice(0, -4) : name, {
        key: name,
        method: cv.getUint16(p + 10, true),
        compressedSize,
        localOffset,
      });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}

/** The first `want` bytes of an entry's content (fewer if it is shorter); `Infinity` reads it all. */
export async function readEntryPrefix(fh: FileHandle, entry: NpzEntryRef, want: number): Promise<Uint8Array> {
  const local = view(await readAt(fh, entry.localOffset, 30));
  if (local.getUint32(0, true) !== LOCAL) throw new DatasetError(`not a valid .npz (zip) file: corrupt entry ${entry.key}`);
  const start = entry.localOffset + 30 + local.getUint16(26, true) + local.getUint16(28, true);
  if (entry.method === 0) return readAt(fh, start, Math.min(want, entry.compressedSize));
  if (entry.method !== 8)
    throw new DatasetError(`.npz entry ${entry.key} uses zip method ${entry.method} (only stored and deflated are read)`);
  if (want === Infinity) return inflateSync(await readAt(fh, start, entry.compressedSize));
  // Inflate compressed pieces until `want` bytes came out: a header needs the first block or two.
  const parts: Uint8Array[] = [];
  let got = 0;
  const inflate = new Inflate((chunk) => {
    parts.push(chunk);
    got += chunk.length;
  });
  for (let at = 0; at < entry.compressedSize && got < want; at += 1 << 16) {
    const piece = await readAt(fh, start + at, Math.min(1 << 16, entry.compressedSize - at));
    inflate.push(piece, at + piece.length >= entry.compressedSize);
  }
  const all = new Uint8Array(got);
  parts.reduce((o, p) => (all.set(p, o), o + p.length), 0);
  return all.subarray(0, Math.min(want, got));
}

export async function openFile(path: string): Promise<{ fh: FileHandle; size: number }> {
  const fh = await open(path, 'r');
  return { fh, size: (await fh.stat()).size };
}

async function readAt(fh: FileHandle, position: number, length: number): Promise<Uint8Array> {
  const buf = new Uint8Array(length);
  const { bytesRead } = await fh.read(buf, 0, length, position);
  return buf.subarray(0, bytesRead);
}

const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
