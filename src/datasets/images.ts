/**
 * `{"kind": "images", "path": DIR, "size": [H, W], "channels": 1|3}`: one subfolder per class (sorted by
 * name, as Keras's image_dataset_from_directory), PNG/JPEG files inside, decoded, converted to the
 * channels and resized bilinearly. The decoded pixels are cached as an .npz keyed by the folder's file
 * list, sizes and mtimes, and the size and channels, so a second run reads one file instead of decoding.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, extname, join, relative, resolve } from 'node:path';
import { DatasetError, decodeNpz, encodeNpz, type Dataset } from '../core/data/index';
import { resizeBilinear, toChannels } from '../core/data/image-ops';
import { IMAGE_EXTENSIONS, decodeImageFile, type ImageDecoder } from './image-decode';
import { dataPlaces } from './places';
import { makeDirs, readRegularFile } from './files';
import { checkImageSize, readImageHeader } from './image-header';

export interface ImageSource {
  kind: 'images';
  path: string;
  size: [number, number];
  channels: 1 | 3;
  /** Multiplies the 0–255 pixels (e.g. 1/255), like a Keras Rescaling layer. Default 1. */
  rescale?: number;
}

export interface ImageLoadOptions {
  decode?: ImageDecoder;
  /** Where cache files go: default the process's DTRAIN_CACHE_DIR (dataPlaces), else $XDG_CACHE_HOME/dtrain or ~/.cache/dtrain. */
  cacheDir?: string;
}

const CACHE_VERSION = 1;

export function loadImageDataset(source: ImageSource, options: ImageLoadOptions = {}): Dataset {
  const { dir, height, width, channels, rescale } = checkSource(source);
  const classes = listClasses(dir);
  const files = classes.map((c) => listImages(join(dir, c), dir));
  const entries = files.flatMap((list, label) => list.map((file) => ({ file, label })));
  const key = cacheKey(
    dir,
    entries.map((e) => e.file),
    height,
    width,
    channels,
  );
  const cachePath = join(options.cacheDir ?? defaultCacheDir(), `${basename(dir)}-${key.slice(0, 20)}.npz`);
  let pixels = readCache(cachePath, entries.length * height * width * channels);
  if (!pixels) {
    pixels = decodeAll(
      entries.map((e) => e.file),
      height,
      width,
      channels,
      options.decode ?? decodeImageFile,
    );
    writeCache(
      cachePath,
      pixels,
      entries.length,
      height,
      width,
      channels,
      entries.map((e) => e.label),
      classes,
    );
  }
  if (rescale !== 1) for (let i = 0; i < pixels.length; i++) pixels[i] = pixels[i]! * rescale;
  return {
    name: basename(dir),
    numExamples: entries.length,
    featureShape: [height, width, channels],
    x: pixels,
    y: Int32Array.from(entries, (e) => e.label),
    task: 'classification',
    numClasses: classes.length,
    classNames: classes,
  };
}

/** What loadImageDataset would hold (classes, files per class), from listing the folder: nothing is decoded. */
export function imageFolderSummary(source: ImageSource) {
  const { dir, height, width, channels } = checkSource(source);
  const classNames = listClasses(dir);
  const files = classNames.map((c) => listImages(join(dir, c), dir));
  for (const file of files.flat()) checkHeader(file);
  const classCounts = files.map((list) => list.length);
  const examples = classCounts.reduce((a, b) => a + b, 0);
  return {
    name: basename(dir),
    examples,
    featureShape: [height, width, channels],
    task: 'classification' as const,
    numClasses: classNames.length,
    classNames,
    classCounts,
  };
}

/**
 * Each file's first bytes, read by validation: a file that is no PNG or JPEG, or one above the pixel
 * limit, is refused before a run exists instead of by every worker after (a file whose data is
 * damaged past its header is still found only when it is decoded).
 */
function checkHeader(file: string): void {
  try {
    checkImageSize(readImageHeader(file));
  } catch (err) {
    throw new DatasetError(
      `${file}: cannot read this image: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]}`,
    );
  }
}

export function checkSource(s: ImageSource) {
  if (typeof s.path !== 'string' || s.path === '')
    throw new DatasetError('images dataset source needs a path (a folder with one subfolder per class)');
  const size = s.size as unknown;
  if (!Array.isArray(size) || size.length !== 2 || !size.every((d) => Number.isInteger(d) && d >= 1 && d <= 4096)) {
    throw new DatasetError(`images "size" must be [height, width] in pixels (1–4096), got ${JSON.stringify(size)}`);
  }
  if (s.channels !== 1 && s.channels !== 3)
    throw new DatasetError(`images "channels" must be 1 or 3, got ${JSON.stringify(s.channels)}`);
  const rescale = s.rescale ?? 1;
  if (typeof rescale !== 'number' || !Number.isFinite(rescale))
    throw new DatasetError(`images "rescale" must be a number, got ${JSON.stringify(s.rescale)}`);
  return { dir: resolve(s.path), height: size[0] as number, width: size[1] as number, channels: s.channels, rescale };
}

export function listClasses(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw new DatasetError(
      `cannot read image folder ${dir}: ${code === 'ENOENT' ? 'no such folder' : code === 'ENOTDIR' ? 'not a folder' : (err as Error).message}`,
    );
  }
  if (names.length === 0)
    throw new DatasetError(`${dir} has no class folders: put each class's .png/.jpg images in a subfolder named after the class`);
  if (names.length === 1) throw new DatasetError(`${dir} has one class folder (${names[0]}); a classifier needs at least 2`);
  return names;
}

/** Image files under a class folder (recursively), sorted; an empty class is an error naming it. */
export function listImages(classDir: string, root: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (IMAGE_EXTENSIONS.includes(extname(e.name).toLowerCase())) out.push(p);
    }
  };
  walk(classDir);
  if (out.length === 0)
    throw new DatasetError(`class folder ${relative(root, classDir)} in ${root} holds no ${IMAGE_EXTENSIONS.join('/')} images`);
  return out;
}

function decodeAll(files: string[], h: number, w: number, c: 1 | 3, decode: ImageDecoder): Float32Array {
  const out = new Float32Array(files.length * h * w * c);
  files.forEach((file, i) => out.set(decodeImage(file, h, w, c, decode), i * h * w * c));
  return out;
}

/** One file's pixels (0–255), converted to `c` channels and resized bilinearly to h × w. */
export function decodeImage(file: string, h: number, w: number, c: 1 | 3, decode: ImageDecoder): Float32Array {
  let img;
  try {
    img = decode(file, readRegularFile(file));
  } catch (err) {
    throw new DatasetError(
      `${file}: cannot read this image: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]}`,
    );
  }
  if (!(img.width > 0 && img.height > 0)) throw new DatasetError(`${file}: the image has no pixels`);
  return resizeBilinear(toChannels(img.rgba, img.width, img.height, c), img.height, img.width, c, h, w);
}

function cacheKey(dir: string, files: string[], h: number, w: number, c: number): string {
  const stats = files.map((f) => {
    const st = statSync(f);
    return [relative(dir, f), st.size, st.mtimeMs];
  });
  return createHash('sha256')
    .update(JSON.stringify({ v: CACHE_VERSION, dir, files: stats, size: [h, w], channels: c }))
    .digest('hex');
}

function defaultCacheDir(): string {
  const given = dataPlaces().cacheDir;
  if (given) return resolve(given);
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'dtrain', 'images');
}

/** The cached pixels, or null when absent or unusable (then the images are decoded again). */
function readCache(path: string, expected: number): Float32Array | null {
  try {
    const x = decodeNpz(readFileSync(path)).get('x')?.();
    return x && x.data instanceof Float32Array && x.data.length === expected ? x.data : null;
  } catch {
    return null;
  }
}

/** Written to a temporary name and renamed, so workers loading at once never read half a file. */
function writeCache(
  path: string,
  x: Float32Array,
  n: number,
  h: number,
  w: number,
  c: number,
  labels: number[],
  classes: string[],
): void {
  try {
    makeDirs(join(path, '..'));
    const tmp = `${path}.${process.pid}.tmp`;
    const names = new TextEncoder().encode(JSON.stringify(classes)); // np.load(f)['classes'].tobytes() is the JSON
    writeFileSync(
      tmp,
      encodeNpz([
        { name: 'x', values: x, dtype: 'float32', shape: [n, h, w, c] },
        { name: 'y', values: labels, dtype: 'int32', shape: [n] },
        { name: 'classes', values: names, dtype: 'uint8', shape: [names.length] },
      ]),
    );
    renameSync(tmp, path);
  } catch {
    // An unwritable cache only costs the next run a decode; the data itself is complete.
  }
}
