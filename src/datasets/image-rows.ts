/**
 * An image folder read a batch at a time: the folder is listed once (classes, files, labels), and each
 * batch decodes the files it needs, keeping recently decoded images in a cache bounded in bytes
 * (`DTRAIN_IMAGE_CACHE_MB`, default 256; set at the process's edge: places.ts). Nothing holds the whole decoded set, however many images
 * there are. Pixels are what loadImageDataset gives (decoded, converted to the channels, resized
 * bilinearly, times `rescale`), so a batch is the same bits either way.
 */
import { basename, join } from 'node:path';
import { rowSource, type RowSource } from '../core/data/index';
import { decodeImageFile, type ImageDecoder } from './image-decode';
import { checkSource, decodeImage, listClasses, listImages, type ImageSource } from './images';
import { dataPlaces } from './places';

export const DEFAULT_IMAGE_CACHE_MB = 256;

export interface ImageRowsOptions {
  decode?: ImageDecoder;
  /** The cache's bound in bytes (default: imageCacheBytes()). */
  cacheBytes?: number;
}

/** The image cache's bound in bytes: `mb` MiB (0 turns it off; default: the process's DTRAIN_IMAGE_CACHE_MB), else 256 MiB. */
export function imageCacheBytes(mb: number | null | undefined = dataPlaces().imageCacheMb): number {
  return (mb ?? DEFAULT_IMAGE_CACHE_MB) * 2 ** 20;
}

export function imageRows(source: ImageSource, options: ImageRowsOptions = {}): RowSource & { cache: ImageCache } {
  const { dir, height, width, channels, rescale } = checkSource(source);
  const classes = listClasses(dir);
  const files = classes.flatMap((c, label) => listImages(join(dir, c), dir).map((file) => ({ file, label })));
  const decode = options.decode ?? decodeImageFile;
  const cache = new ImageCache(options.cacheBytes ?? imageCacheBytes());
  const per = height * width * channels;
  const pixels = (i: number): Float32Array => {
    const hit = cache.get(i);
    if (hit) return hit;
    const decoded = decodeImage(files[i]!.file, height, width, channels, decode);
    if (rescale !== 1) for (let k = 0; k < decoded.length; k++) decoded[k] = decoded[k]! * rescale;
    cache.put(i, decoded);
    return decoded;
  };
  const info = {
    name: basename(dir),
    numExamples: files.length,
    featureShape: [height, width, channels],
    task: 'classification' as const,
    numClasses: classes.length,
    classNames: classes,
  };
  const rows = rowSource(
    info,
    Int32Array.from(files, (f) => f.label),
    (indices, out) => {
      for (let r = 0; r < indices.length; r++) out.set(pixels(indices[r]!), r * per);
    },
  );
  return { ...rows, cache };
}

/** Decoded images by row, least recently used dropped first once the bytes pass the bound. */
export class ImageCache {
  private readonly entries = new Map<number, Float32Array>();
  private held = 0;
  hits = 0;
  misses = 0;

  constructor(readonly boundBytes: number) {}

  get bytes(): number {
    return this.held;
  }

  get(row: number): Float32Array | undefined {
    const v = this.entries.get(row);
    if (!v) return (this.misses++, undefined);
    this.hits++;
    this.entries.delete(row); // re-inserted: most recently used last
    this.entries.set(row, v);
    return v;
  }

  put(row: number, pixels: Float32Array): void {
    if (pixels.byteLength > this.boundBytes) return;
    this.entries.set(row, pixels);
    this.held += pixels.byteLength;
    for (const [k, v] of this.entries) {
      if (this.held <= this.boundBytes) break;
      this.entries.delete(k);
      this.held -= v.byteLength;
    }
  }
}
