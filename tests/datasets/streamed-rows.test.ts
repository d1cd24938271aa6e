// .npy / .npz features read by offset, a batch at a time (src/datasets/streamed-rows.ts), and image
// folders decoded per batch (image-rows.ts): every batch holds the bits the whole-file loader gives
// for the same rows, whatever the dtype or byte order; what cannot be read by offset (a compressed
// member, Fortran order) is loaded as before; a file far larger than memory opens at once and reads
// only the rows asked for; the run's train/validation parts are loadRunData's; and the memory check
// knows from the headers which sources stream.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { encodeNpy, encodeNpz, gatherRows, type NpyDtype } from '../../src/core/data/index';
import { loadDatasetSync } from '../../src/datasets/load';
import { loadRunData } from '../../src/datasets/run-data';
import { openRows, openRunRows } from '../../src/datasets/run-rows';
import { dataStreaming } from '../../src/datasets/streaming';
import { imageCacheBytes, imageRows } from '../../src/datasets/image-rows';
import { loadImageDataset } from '../../src/datasets/images';
import { setDataPlaces } from '../../src/datasets/places';
import { readSettings } from '../../src/shared/settings';
import { decodeImageFile as loadedDecode } from '../../src/datasets/image-decode';
import { seededRandom, testSeed } from '../helpers/seed';
import { npyHeader } from '../helpers/npy-header';

const dir = mkdtempSync(join(tmpdir(), 'dtrain-stream-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const rand = seededRandom(testSeed('streamed rows'));

const bits = (a: ArrayLike<number> & { buffer: ArrayBufferLike; byteOffset: number; byteLength: number }) =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');
/** Row indices as a batch has them: shuffled, with some consecutive runs and a repeat. */
const batchOf = (n: number) => Uint32Array.from([3, 4, 5, 0, n - 1, 7, 7, 2, 1, 6].map((i) => i % n));

/** A .npy with `dtype`, optionally big-endian (its header's descr flipped and values byte-swapped). */
function npyFile(name: string, values: number[], dtype: NpyDtype, shape: number[], bigEndian = false): string {
  let bytes = encodeNpy(values, dtype, shape);
  if (bigEndian) {
    bytes = Uint8Array.from(bytes);
    const text = Buffer.from(bytes).toString('latin1');
    const descr = text.indexOf("'<");
    bytes[descr + 1] = '>'.charCodeAt(0);
    const start = text.indexOf('\n') + 1;
    const size = Number(dtype.slice(-2)) / 8;
    for (let at = start; at < bytes.length; at += size) bytes.subarray(at, at + size).reverse();
  }
  const file = join(dir, `${name}.npy`);
  writeFileSync(file, bytes);
  return file;
}

const CASES: { dtype: NpyDtype; big?: boolean; value: () => number }[] = [
  { dtype: 'float32', value: () => rand() * 10 - 5 },
  { dtype: 'float32', big: true, value: () => rand() * 10 - 5 },
  { dtype: 'float64', value: () => rand() * 1e6 - 5e5 },
  { dtype: 'float16', value: () => Math.round(rand() * 2000) / 16 },
  { dtype: 'int16', value: () => Math.floor(rand() * 60000) - 30000 },
  { dtype: 'int32', big: true, value: () => Math.floor(rand() * 16_000_000) },
  { dtype: 'uint8', value: () => Math.floor(rand() * 256) },
  { dtype: 'bool', value: () => (rand() < 0.5 ? 1 : 0) },
];

for (const c of CASES) {
  test(`.npy ${c.big ? 'big-endian ' : ''}${c.dtype}: a streamed batch is the loaded batch's bits`, async () => {
    const n = 11;
    const xf = npyFile(`x-${c.dtype}-${c.big}`, Array.from({ length: n * 6 }, c.value), c.dtype, [n, 2, 3], c.big);
    const yf = npyFile(
      `y-${c.dtype}-${c.big}`,
      Array.from({ length: n }, () => Math.floor(rand() * 3)),
      'int64',
      [n],
    );
    const source = { kind: 'npy' as const, x: xf, y: yf };
    const streamed = await openRows(source);
    const loaded = loadDatasetSync(source);
    assert.equal(streamed.streamed, true);
    assert.deepEqual(
      [streamed.numExamples, streamed.featureShape, streamed.numClasses, streamed.xDtype],
      [loaded.numExamples, loaded.featureShape, loaded.numClasses, loaded.xDtype],
    );
    const batch = batchOf(n);
    const a = streamed.readRows(batch);
    const b = gatherRows(loaded, batch);
    assert.equal(bits(a.x), bits(b.x));
    assert.deepEqual([...a.y], [...b.y]);
    streamed.close?.();
  });
}

test('.npz: a stored member is streamed, a compressed one loaded, with the same rows', async () => {
  const n = 9;
  const x = Array.from({ length: n * 4 }, () => rand());
  const y = Array.from({ length: n }, () => Math.floor(rand() * 2));
  const entries = [
    { name: 'features', values: x, dtype: 'float32' as const, shape: [n, 4] },
    { name: 'labels', values: y, dtype: 'int32' as const, shape: [n] },
  ];
  const stored = join(dir, 'stored.npz');
  const packed = join(dir, 'packed.npz');
  writeFileSync(stored, encodeNpz(entries));
  writeFileSync(packed, encodeNpz(entries, { compress: true }));
  const a = await openRows({ kind: 'npz', path: stored, x: 'features', y: 'labels' });
  const b = await openRows({ kind: 'npz', path: packed, x: 'features', y: 'labels' });
  assert.deepEqual([a.streamed, b.streamed], [true, false]);
  const batch = batchOf(n);
  assert.equal(bits(a.readRows(batch).x), bits(b.readRows(batch).x));
  assert.deepEqual([...a.readRows(batch).y], [...b.readRows(batch).y]);
  a.close?.();
  await assert.rejects(
    openRows({ kind: 'npz', path: stored, x: 'nope' }),
    /stored\.npz: no array 'nope' \(it has: features, labels\)/,
  );
});

test('Fortran-order x is loaded whole; a truncated x is refused at open; a too-large integer names its place', async () => {
  const n = 4;
  const bytes = encodeNpy(
    Array.from({ length: n * 2 }, (_, i) => i),
    'float32',
    [n, 2],
  );
  const text = Buffer.from(bytes).toString('latin1');
  const fortran = Uint8Array.from(bytes);
  const at = text.indexOf('False');
  fortran.set(Buffer.from('True '), at); // same header length; values now read column-major
  const yf = npyFile('y4', [0, 1, 0, 1], 'int32', [n]);
  writeFileSync(join(dir, 'xf.npy'), fortran);
  const f = await openRows({ kind: 'npy', x: join(dir, 'xf.npy'), y: yf });
  assert.equal(f.streamed, false);
  assert.deepEqual([...f.readRows([1]).x], [1, 5], 'column-major: row 1 is values 1 and 5');

  writeFileSync(join(dir, 'short.npy'), bytes.subarray(0, bytes.length - 4));
  await assert.rejects(
    openRows({ kind: 'npy', x: join(dir, 'short.npy'), y: yf }),
    /short\.npy: truncated \.npy file: shape \(4, 2\) of float32 needs 32 bytes, the file has 28/,
  );

  const big = npyFile('bigint', [1, 2, 3, 2 ** 25, 5, 6, 7, 8], 'int32', [n, 2]);
  const rows = await openRows({ kind: 'npy', x: big, y: yf });
  assert.deepEqual([...rows.readRows([0, 2]).x], [1, 2, 5, 6]);
  assert.throws(() => rows.readRows([1]), /x holds the integer 33554432 at flat index 3: integers beyond 2\^24/);
  rows.close?.();
});

test('a 64 GiB .npy opens at once and a batch reads only its rows', async () => {
  // Sparse: 64 GiB long, a few rows written. Loading it would need 64 GiB; streaming reads 3 rows.
  const features = 4096;
  const rows = 4 * 2 ** 20;
  const header = npyHeader(`{'descr': '<f4', 'fortran_order': False, 'shape': (${rows}, ${features}), }`);
  const file = join(dir, 'huge.npy');
  const fd = openSync(file, 'w');
  writeSync(fd, header);
  ftruncateSync(fd, header.length + rows * features * 4);
  const row = Float32Array.from({ length: features }, (_, j) => j + 0.5);
  for (const r of [5, rows - 1]) writeSync(fd, Buffer.from(row.buffer), 0, row.byteLength, header.length + r * features * 4);
  closeSync(fd);
  const yf = npyFile(
    'huge-y',
    Array.from({ length: rows }, (_, i) => i % 3),
    'uint8',
    [rows],
  );
  const source = await openRows({ kind: 'npy', x: file, y: yf });
  assert.equal(source.numExamples, rows);
  const { x, y } = source.readRows([rows - 1, 6, 5]);
  assert.deepEqual([...x.subarray(0, 3)], [0.5, 1.5, 2.5]);
  assert.ok(
    x.subarray(features, 2 * features).every((v) => v === 0),
    'an unwritten row reads as zeros',
  );
  assert.equal(x[2 * features + 4095], 4095.5);
  assert.deepEqual([...y], [(rows - 1) % 3, 0, 2]);
  source.close?.();
});

test('the run data: the validation split and the parts are loadRunData’s, streamed', async () => {
  const n = 40;
  const xf = npyFile(
    'split-x',
    Array.from({ length: n * 3 }, () => rand()),
    'float64',
    [n, 3],
  );
  const yf = npyFile(
    'split-y',
    Array.from({ length: n }, (_, i) => i % 4),
    'int32',
    [n],
  );
  const data = { kind: 'npy' as const, x: xf, y: yf, validation: { fraction: 0.25 } };
  const streamed = await openRunRows(data, 17);
  const loaded = loadRunData(data, 17);
  for (const part of ['train', 'validation'] as const) {
    const s = streamed[part]!;
    const l = loaded[part]!;
    assert.equal(s.numExamples, l.numExamples);
    const all = Uint32Array.from({ length: l.numExamples }, (_, i) => i);
    assert.equal(bits(s.readRows(all).x), bits(l.x), part);
    assert.deepEqual([...s.labels], [...l.y], part);
    assert.equal(s.streamed, true);
  }
  streamed.train.close?.();
});

function writePng(file: string, w: number, h: number, px: (x: number, y: number) => number[]): void {
  const png = new PNG({ width: w, height: h });
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) png.data.set([...px(x, y), 255], 4 * (y * w + x));
  writeFileSync(file, PNG.sync.write(png));
}

test('an image folder decodes per batch into the loader’s pixels, the cache within its bound', () => {
  const root = join(dir, 'images');
  for (const [cls, count] of [
    ['cats', 5],
    ['dogs', 4],
  ] as const) {
    mkdirSync(join(root, cls), { recursive: true });
    for (let i = 0; i < count; i++)
      writePng(join(root, cls, `${i}.png`), 5 + i, 4, (x, y) => [(x * 37 + i * 11) % 256, (y * 53) % 256, (i * 71) % 256]);
  }
  const source = {
    kind: 'images' as const,
    path: root,
    size: [3, 3] as [number, number],
    channels: 3 as const,
    rescale: 1 / 255,
  };
  const loaded = loadImageDataset(source, { cacheDir: join(dir, 'image-cache') });
  const bytesPerImage = 3 * 3 * 3 * 4;
  let decoded = 0;
  const rows = imageRows(source, {
    cacheBytes: 3 * bytesPerImage,
    decode: (file, bytes) => (decoded++, loadedDecode(file, bytes)),
  });
  assert.deepEqual([rows.numExamples, rows.classNames, [...rows.labels]], [9, ['cats', 'dogs'], [...loaded.y]]);
  const batch = Uint32Array.from([8, 0, 4, 0, 3]);
  assert.equal(bits(rows.readRows(batch).x), bits(gatherRows(loaded, batch).x));
  assert.equal(decoded, 4, 'a row asked twice in a batch is decoded once');
  assert.ok(rows.cache.bytes <= 3 * bytesPerImage, `the cache holds at most its bound: ${rows.cache.bytes}`);
  rows.readRows([3]); // still cached
  assert.equal(decoded, 4);
  rows.readRows([8]); // dropped: the least recently used
  assert.equal(decoded, 5);
  // The bound comes from the process's settings (DTRAIN_IMAGE_CACHE_MB, read at its edge: settings.test.ts).
  assert.equal(imageCacheBytes(readSettings({ DTRAIN_IMAGE_CACHE_MB: '64' }).imageCacheMb), 64 * 2 ** 20);
  assert.equal(imageCacheBytes(readSettings({ DTRAIN_IMAGE_CACHE_MB: '0' }).imageCacheMb), 0);
  assert.equal(imageCacheBytes(readSettings({}).imageCacheMb), 256 * 2 ** 20);
  setDataPlaces({ datasetsDir: null, cacheDir: null, imageCacheMb: 2 });
  try {
    assert.equal(imageCacheBytes(), 2 * 2 ** 20, 'the edge set it for the process');
    assert.equal(imageRows(source).cache.boundBytes, 2 * 2 ** 20);
  } finally {
    setDataPlaces({ datasetsDir: null, cacheDir: null });
  }
});

test('the memory check learns from the headers alone which sources stream', async () => {
  const n = 3;
  const entries = [
    { name: 'x', values: [1, 2, 3, 4, 5, 6], dtype: 'float32' as const, shape: [n, 2] },
    { name: 'y', values: [0, 1, 0], dtype: 'int32' as const, shape: [n] },
  ];
  writeFileSync(join(dir, 'h-stored.npz'), encodeNpz(entries));
  writeFileSync(join(dir, 'h-packed.npz'), encodeNpz(entries, { compress: true }));
  const x = npyFile('h-x', [1, 2, 3, 4, 5, 6], 'float32', [n, 2]);
  const y = npyFile('h-y', [0, 1, 0], 'int32', [n]);
  assert.deepEqual(await dataStreaming({ kind: 'npz', path: join(dir, 'h-stored.npz') }), { streamed: true, cacheBytes: 0 });
  assert.deepEqual(await dataStreaming({ kind: 'npz', path: join(dir, 'h-packed.npz') }), { streamed: false, cacheBytes: 0 });
  assert.deepEqual(await dataStreaming({ kind: 'npy', x, y, validation: { fraction: 0.5 } }), { streamed: true, cacheBytes: 0 });
  assert.deepEqual(await dataStreaming({ kind: 'builtin', name: 'iris' }), { streamed: false, cacheBytes: 0 });
  const images = await dataStreaming({ kind: 'images', path: dir, size: [2, 2], channels: 1 });
  assert.deepEqual(images, { streamed: true, cacheBytes: 256 * 2 ** 20 });
});
