/**
 * An image's format and size from its first bytes, without decoding it: validation checks every file
 * of an image folder this way (a file that is no PNG or JPEG is refused before a run exists), and a
 * file above MAX_IMAGE_PIXELS is refused before a decoder allocates its pixels (a 1.6 MB PNG of
 * 20000×20000 would decode to 1.6 GB of RGBA, and more as floats).
 */
import { closeSync, readSync } from 'node:fs';
import { DatasetError } from '../core/data/index';
import { openRegularFile } from './files';

/**
 * The most pixels an image may have: Pillow's MAX_IMAGE_PIXELS (89,478,485), the decompression-bomb
 * limit Keras's image loading meets through PIL. About 358 MB of RGBA, decoded one image at a time.
 */
export const MAX_IMAGE_PIXELS = 89_478_485;

export interface ImageHeader {
  format: 'png' | 'jpeg';
  width: number;
  height: number;
}

type Read = (offset: number, length: number) => Uint8Array;

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** The header of an image held in memory. */
export function imageHeaderOf(bytes: Uint8Array): ImageHeader {
  return parseHeader((offset, length) => bytes.subarray(offset, offset + length));
}

/** The header of an image file, reading only the bytes it needs (a few dozen for a PNG). */
export function readImageHeader(path: string): ImageHeader {
  const { fd, size } = openRegularFile(path);
  try {
    return parseHeader((offset, length) => {
      const n = Math.max(0, Math.min(length, size - offset));
      const buf = new Uint8Array(n);
      let got = 0;
      while (got < n) {
        const r = readSync(fd, buf, got, n - got, offset + got);
        if (r === 0) break;
        got += r;
      }
      return buf.subarray(0, got);
    });
  } finally {
    closeSync(fd);
  }
}

/** Refuses an image above MAX_IMAGE_PIXELS (or with no pixels), in one line naming its size. */
export function checkImageSize(h: ImageHeader): void {
  if (h.width < 1 || h.height < 1) throw new DatasetError(`the image has no pixels (${h.width}×${h.height})`);
  if (h.width * h.height > MAX_IMAGE_PIXELS)
    throw new DatasetError(
      `the image is ${h.width}×${h.height} pixels, more than the ${MAX_IMAGE_PIXELS.toLocaleString('en')} an image may have; shrink it first`,
    );
}

function parseHeader(read: Read): ImageHeader {
  const head = read(0, 24);
  if (PNG_SIGNATURE.every((b, i) => head[i] === b)) {
    const v = new DataView(head.buffer, head.byteOffset, head.byteLength);
    if (head.length < 24 || String.fromCharCode(...head.subarray(12, 16)) !== 'IHDR')
      throw new DatasetError('not a valid PNG: no IHDR header');
    return { format: 'png', width: v.getUint32(16), height: v.getUint32(20) };
  }
  if (head[0] === 0xff && head[1] === 0xd8) return jpegSize(read);
  throw new DatasetError('not a PNG or JPEG image (its first bytes are neither signature)');
}

/** Start-of-frame markers (baseline, progressive, lossless, arithmetic): C0–CF except C4, C8 and CC. */
const isStartOfFrame = (m: number) => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;

/** A JPEG's size from its start-of-frame segment, skipping the segments before it by their lengths. */
function jpegSize(read: Read): ImageHeader {
  let at = 2;
  for (let segments = 0; segments < 1000; segments++) {
    const marker = read(at, 4);
    if (marker.length < 4 || marker[0] !== 0xff) break;
    const m = marker[1]!;
    if (m === 0xff) {
      at += 1; // a fill byte
      continue;
    }
    if (m === 0xd8 || m === 0x01 || (m >= 0xd0 && m <= 0xd7)) {
      at += 2; // markers without a length
      continue;
    }
    if (m === 0xda || m === 0xd9) break; // scan data or the end before any frame
    const length = (marker[2]! << 8) | marker[3]!;
    if (isStartOfFrame(m)) {
      const sof = read(at + 4, 5);
      if (sof.length < 5) break;
      return { format: 'jpeg', height: (sof[1]! << 8) | sof[2]!, width: (sof[3]! << 8) | sof[4]! };
    }
    if (length < 2) break;
    at += 2 + length;
  }
  throw new DatasetError('not a valid JPEG: no frame header before its image data');
}
