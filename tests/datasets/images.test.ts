// Image folders: PNG and JPEG files made here with pngjs / jpeg-js encoders, decoded, converted,
// resized (half-pixel bilinear, checked against values worked out by hand) and cached.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import { loadImageDataset } from '../../src/datasets/images';
import { decodeImageFile, type ImageDecoder } from '../../src/datasets/image-decode';
import { loadDatasetSync } from '../../src/datasets/load';
import { setDataPlaces } from '../../src/datasets/places';

const root = mkdtempSync(join(tmpdir(), 'dtrain-images-'));
process.on('exit', () => rmSync(root, { recursive: true, force: true }));

/** Writes a PNG of width × height whose pixel (x, y) has colour px(x, y) = [r, g, b]. */
function writePng(file: string, width: number, height: number, px: (x: number, y: number) => number[]): void {
  const png = new PNG({ width, height });
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) png.data.set([...px(x, y), 255], 4 * (y * width + x));
  writeFileSync(file, PNG.sync.write(png));
}

function writeJpeg(file: string, width: number, height: number, rgb: number[]): void {
  const data = Buffer.alloc(width * height * 4);
  for (let p = 0; p < width * height; p++) data.set([...rgb, 255], 4 * p);
  writeFileSync(file, jpeg.encode({ data, width, height }, 95).data);
}

function makeFolder(name: string): string {
  const dir = join(root, name);
  mkdirSync(join(dir, 'b_squares'), { recursive: true });
  mkdirSync(join(dir, 'a_circles'), { recursive: true });
  // 2×2 with columns 0 and 100 (red), rows differing in green: resized to 4×4 by hand below.
  writePng(join(dir, 'a_circles', '1.png'), 2, 2, (x, y) => [x * 100, y * 40, 0]);
  writePng(join(dir, 'a_circles', '2.png'), 3, 5, () => [10, 20, 30]);
  writeJpeg(join(dir, 'b_squares', 'j.jpg'), 8, 8, [200, 100, 50]);
  writePng(join(dir, 'b_squares', 'p.PNG'), 4, 4, () => [255, 255, 255]);
  writeFileSync(join(dir, 'b_squares', 'notes.txt'), 'not an image');
  return dir;
}

function counting(): { decode: ImageDecoder; calls: string[] } {
  const calls: string[] = [];
  return { calls, decode: (file, bytes) => (calls.push(file), decodeImageFile(file, bytes)) };
}

test('classes are the sorted subfolders; PNG and JPEG decode; bilinear resize matches the half-pixel rule', () => {
  const dir = makeFolder('shapes');
  const ds = loadImageDataset({ kind: 'images', path: dir, size: [4, 4], channels: 3 }, { cacheDir: join(root, 'cache1') });
  assert.deepEqual(ds.classNames, ['a_circles', 'b_squares']);
  assert.deepEqual([...ds.y], [0, 0, 1, 1]);
  assert.deepEqual(ds.featureShape, [4, 4, 3]);
  const img = (i: number) => ds.x.subarray(i * 48, (i + 1) * 48);
  // 2 → 4 with half-pixel centres: source positions clamp(−0.25)=0, 0.25, 0.75, clamp(1.25)=1.
  const w = [0, 0.25, 0.75, 1];
  for (let y = 0; y < 4; y++) {
    for (let x = 0; x < 4; x++) {
      const [r, g, b] = img(0).subarray((y * 4 + x) * 3, (y * 4 + x) * 3 + 3);
      assert.ok(Math.abs(r! - 100 * w[x]!) < 1e-4, `red at ${x},${y}: ${r}`);
      assert.ok(Math.abs(g! - 40 * w[y]!) < 1e-4, `green at ${x},${y}: ${g}`);
      assert.equal(b, 0);
    }
  }
  assert.ok(
    [...img(1)].every((v, i) => v === [10, 20, 30][i % 3]),
    'a constant image stays constant whatever the size',
  );
  assert.ok(
    [...img(2)].every((v, i) => Math.abs(v - [200, 100, 50][i % 3]!) <= 4),
    'the JPEG colour within JPEG loss',
  );
});

test('channels 1 is BT.601 luma; rescale multiplies; the run config path loads the same', () => {
  const dir = makeFolder('grey');
  const ds = loadImageDataset(
    { kind: 'images', path: dir, size: [2, 2], channels: 1, rescale: 1 / 255 },
    { cacheDir: join(root, 'cache2') },
  );
  assert.deepEqual(ds.featureShape, [2, 2, 1]);
  const luma = (0.299 * 10 + 0.587 * 20 + 0.114 * 30) / 255;
  [...ds.x.subarray(4, 8)].forEach((v) => assert.ok(Math.abs(v - luma) < 1e-6, `${v} vs ${luma}`));
  [...ds.x.subarray(12, 16)].forEach((v) => assert.ok(Math.abs(v - 1) < 1e-6));
  setDataPlaces({ datasetsDir: null, cacheDir: join(root, 'cache2') }); // the process's DTRAIN_CACHE_DIR
  const viaSource = loadDatasetSync({ kind: 'images', path: dir, size: [2, 2], channels: 1, rescale: 1 / 255 });
  assert.deepEqual([...viaSource.x], [...ds.x]);
});

test('the second load reads the cache and decodes nothing; a touched file is decoded again', () => {
  const dir = makeFolder('cached');
  const cacheDir = join(root, 'cache3');
  const source = { kind: 'images' as const, path: dir, size: [3, 3] as [number, number], channels: 3 as const };
  const first = counting();
  const a = loadImageDataset(source, { decode: first.decode, cacheDir });
  assert.equal(first.calls.length, 4);
  assert.equal(readdirSync(cacheDir).filter((f) => f.endsWith('.npz')).length, 1);
  const second = counting();
  const b = loadImageDataset(source, { decode: second.decode, cacheDir });
  assert.equal(second.calls.length, 0, 'no decode on the second run');
  assert.deepEqual([...b.x], [...a.x]);
  // Another size is another cache entry; a changed mtime invalidates the key.
  const third = counting();
  loadImageDataset({ ...source, size: [2, 2] }, { decode: third.decode, cacheDir });
  assert.equal(third.calls.length, 4);
  const f = join(dir, 'a_circles', '2.png');
  const t = statSync(f).mtime;
  utimesSync(f, t, new Date(t.getTime() + 5000));
  const fourth = counting();
  loadImageDataset(source, { decode: fourth.decode, cacheDir });
  assert.equal(fourth.calls.length, 4);
});

test('errors name the file or folder: unreadable image, empty class, no class folders, missing folder, bad size', () => {
  const dir = makeFolder('broken');
  writeFileSync(join(dir, 'b_squares', 'z.png'), 'definitely not a png');
  const cacheDir = join(root, 'cache4');
  const load = (extra: object = {}) =>
    loadImageDataset({ kind: 'images', path: dir, size: [2, 2], channels: 3, ...extra }, { cacheDir });
  assert.throws(
    () => load(),
    (e: Error) => e.message.startsWith(`${join(dir, 'b_squares', 'z.png')}: cannot read this image`) && !e.message.includes('\n'),
  );
  rmSync(join(dir, 'b_squares', 'z.png'));
  mkdirSync(join(dir, 'c_empty'));
  assert.throws(() => load(), /class folder c_empty in .*broken holds no \.png\/\.jpg\/\.jpeg images/);
  const flat = join(root, 'flat');
  mkdirSync(flat);
  writePng(join(flat, 'x.png'), 1, 1, () => [0, 0, 0]);
  assert.throws(
    () => loadImageDataset({ kind: 'images', path: flat, size: [2, 2], channels: 3 }, { cacheDir }),
    /flat has no class folders/,
  );
  assert.throws(
    () => loadImageDataset({ kind: 'images', path: join(root, 'nope'), size: [2, 2], channels: 3 }, { cacheDir }),
    /cannot read image folder .*nope: no such folder/,
  );
  assert.throws(() => load({ size: [0, 2] }), /"size" must be \[height, width\]/);
  assert.throws(() => load({ channels: 4 }), /"channels" must be 1 or 3/);
});

test('describeDataset: images and classes with their counts, for the New-run preview', async () => {
  const { describeDataset } = await import('../../src/core/data/describe');
  const dir = makeFolder('described');
  const ds = loadImageDataset({ kind: 'images', path: dir, size: [5, 6], channels: 3 }, { cacheDir: join(root, 'cache5') });
  assert.deepEqual(describeDataset(ds), {
    name: 'described',
    examples: 4,
    featureShape: [5, 6, 3],
    task: 'classification',
    classes: [
      { name: 'a_circles', count: 2 },
      { name: 'b_squares', count: 2 },
    ],
  });
});
