/**
 * inspectDataSource reads what validation needs without loading: its answers must equal what the
 * full loaders hold (and what the test wrote), a CSV is counted, an .npz read by its headers (a file
 * whose x data is cut short still inspects, while loading it fails) and image files are not decoded.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { zipSync } from 'fflate';
import { encodeNpy } from '../../src/core/data/index';
import { fullLoaders, loadDataset } from '../../src/datasets/load';
import { inspectDataSource, shapeOf } from '../../src/datasets/inspect-source';
import { inspectRunData } from '../../src/datasets/inspect-run-data';
import { loadRunData } from '../../src/datasets/run-data';
import { loadNpzDataset } from '../../src/datasets/arrays';
import { loadImageDataset } from '../../src/datasets/images';
import { pythonWithNumpy } from '../helpers/external';
import { seededRandom, testSeed } from '../helpers/seed';

const dir = mkdtempSync(join(tmpdir(), 'dtrain-inspect-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Refuses whole loads while `fn` runs: what it answers came from the inspector alone. */
async function withoutFullLoads<T>(fn: () => Promise<T>): Promise<T> {
  const saved = { ...fullLoaders };
  const refuse = () => {
    throw new Error('a full load was attempted');
  };
  fullLoaders.loadDataset = refuse;
  fullLoaders.loadDatasetSync = refuse;
  try {
    return await fn();
  } finally {
    Object.assign(fullLoaders, saved);
  }
}

/** ~4 MB of CSV in blocks: 10 features, labels drawn from 7 classes; returns the written class counts. */
function writeCsv(path: string, seed: number): { rows: number; counts: Map<string, number> } {
  const rand = seededRandom(seed);
  const fd = openSync(path, 'w');
  writeSync(fd, 'f0,f1,f2,f3,f4,f5,f6,f7,f8,f9,kind\n');
  const counts = new Map<string, number>();
  let rows = 0;
  for (let block = 0; block < 12; block++) {
    const lines: string[] = [];
    for (let k = 0; k < 6000; k++, rows++) {
      const label = `k${Math.floor(rand() ** 2 * 7)}`; // skewed: class sizes differ
      counts.set(label, (counts.get(label) ?? 0) + 1);
      lines.push(`${Array.from({ length: 10 }, () => (rand() * 200 - 100).toFixed(4)).join(',')},${label}`);
    }
    writeSync(fd, lines.join('\n') + '\n');
  }
  closeSync(fd);
  return { rows, counts };
}

test(
  'a large CSV is counted, not loaded: the inspector equals what was written and what the full load holds',
  { timeout: 120_000 },
  async () => {
    const seed = testSeed('inspect csv');
    const path = join(dir, 'big.csv');
    const { rows, counts } = writeCsv(path, seed);
    const shape = await withoutFullLoads(() => inspectDataSource({ kind: 'csv', path }));
    const names = [...counts.keys()].sort();
    assert.equal(shape.examples, rows);
    assert.deepEqual(shape.featureShape, [10]);
    assert.equal(shape.task, 'classification');
    assert.deepEqual(shape.classNames, names);
    assert.deepEqual(
      shape.classCounts,
      names.map((n) => counts.get(n)),
    );
    assert.deepEqual(shape, shapeOf(await loadDataset({ kind: 'csv', path })));
    // The held-out split's sizes are loadRunData's, per class.
    const data = { kind: 'csv' as const, path, validation: { fraction: 0.15 } };
    const inspected = await withoutFullLoads(() => inspectRunData(data, seed % 1000));
    const loaded = loadRunData(data, seed % 1000);
    assert.equal(inspected.train.examples, loaded.train.numExamples);
    assert.equal(inspected.validation!.examples, loaded.validation!.numExamples);
    assert.deepEqual(inspected.validation!.classCounts, shapeOf(loaded.validation!).classCounts);
  },
);

test('CSV task inference matches the parser: fractional labels are regression, few integers are classes, a late text label is classes', async () => {
  const cases: [string, string[]][] = [
    ['fractional', ['0.5', '1.25', '2', '3.75']],
    ['integers', ['3', '1', '3.0', '2']],
    ['many integers', Array.from({ length: 30 }, (_, i) => String(i))],
    ['late text', [...Array.from({ length: 30 }, (_, i) => `${i}.5`), 'cat']],
  ];
  for (const [what, labels] of cases) {
    const path = join(dir, `${what.replace(/ /g, '-')}.csv`);
    writeFileSync(path, `a,b,y\n${labels.map((y, i) => `${i},${i * 2 + 1},${y}`).join('\n')}\n`);
    assert.deepEqual(await inspectDataSource({ kind: 'csv', path }), shapeOf(await loadDataset({ kind: 'csv', path })), what);
  }
  // The parser's errors are the inspector's.
  const bad = join(dir, 'bad.csv');
  writeFileSync(bad, 'a,b,y\n1,2,x\n3,oops,y\n');
  await assert.rejects(inspectDataSource({ kind: 'csv', path: bad }), /bad\.csv: line 3, column 'b': 'oops' is not a number/);
});

// Issue 24 item 9: x cut short used to inspect fine, the run row was created, and every worker failed
// on load. Its header's shape now has to fit the entry's size, checked before anything is inflated.
test('npz: the headers give the shape; x data cut short is refused by the inspection as by a full load', async () => {
  const n = 50;
  const x = Array.from({ length: n * 6 }, (_, i) => i / 7);
  const y = Array.from({ length: n }, (_, i) => (i * 5) % 4);
  const fullX = encodeNpy(x, 'float32', [n, 2, 3]);
  const yBytes = encodeNpy(y, 'int64', [n]);
  for (const level of [0, 6] as const) {
    const path = join(dir, `cut-${level}.npz`);
    writeFileSync(path, zipSync({ 'x.npy': fullX.subarray(0, fullX.length - 100), 'y.npy': yBytes }, { level }));
    await assert.rejects(
      withoutFullLoads(() => inspectDataSource({ kind: 'npz', path })),
      new RegExp(
        `cut-${level}\\.npz: array 'x': truncated \\.npy: shape \\(50, 2, 3\\) of float32 needs 1200 bytes, the entry holds 1100$`,
      ),
    );
    assert.throws(() => loadNpzDataset({ kind: 'npz', path }), /array 'x': truncated \.npy: shape \(50, 2, 3\)/);
    const good = join(dir, `good-${level}.npz`);
    writeFileSync(good, zipSync({ 'x.npy': fullX, 'y.npy': yBytes }, { level }));
    assert.deepEqual(await withoutFullLoads(() => inspectDataSource({ kind: 'npz', path: good })), {
      name: `good-${level}`,
      examples: n,
      featureShape: [2, 3],
      task: 'classification',
      numClasses: 4,
      classCounts: [13, 13, 12, 12],
      xDtype: 'float32',
    });
  }
  const whole = join(dir, 'whole.npz');
  writeFileSync(whole, zipSync({ 'y.npy': encodeNpy(x.slice(0, n), 'float64', [n, 1]), 'x.npy': fullX }, { level: 6 }));
  const regression = await inspectDataSource({ kind: 'npz', path: whole });
  assert.deepEqual(regression, {
    name: 'whole',
    examples: n,
    featureShape: [2, 3],
    task: 'regression',
    targetDim: 1,
    xDtype: 'float32',
  });
  assert.deepEqual(regression, shapeOf(loadNpzDataset({ kind: 'npz', path: whole })));
  await assert.rejects(
    inspectDataSource({ kind: 'npz', path: whole, x: 'pixels' }),
    /whole\.npz: no array 'pixels' \(it has: y, x\)/,
  );
});

test('npz written by numpy (savez and savez_compressed) inspects like it loads', async (t) => {
  const found = pythonWithNumpy();
  if ('reason' in found) return t.skip(found.reason);
  const script = `import numpy as np, sys
x = np.arange(120 * 5, dtype=np.int32).reshape(120, 5) % 97
y = (np.arange(120) % 3).astype(np.uint8)
np.savez(sys.argv[1] + '/np-plain.npz', x=x, y=y)
np.savez_compressed(sys.argv[1] + '/np-packed.npz', x=x, y=y)`;
  const r = spawnSync(found.python, ['-c', script, dir], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  for (const name of ['np-plain', 'np-packed']) {
    const path = join(dir, `${name}.npz`);
    const shape = await withoutFullLoads(() => inspectDataSource({ kind: 'npz', path }));
    assert.deepEqual(shape, {
      name,
      examples: 120,
      featureShape: [5],
      task: 'classification',
      numClasses: 3,
      classCounts: [40, 40, 40],
      xDtype: 'int32',
    });
    assert.deepEqual(shape, shapeOf(loadNpzDataset({ kind: 'npz', path })));
  }
});

/** A PNG's signature and IHDR of a width×height image, and no image data: a header, nothing to decode. */
function pngHeaderOnly(width: number, height: number): Buffer {
  const b = Buffer.alloc(33);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(b);
  b.writeUInt32BE(13, 8);
  b.write('IHDR', 12, 'latin1');
  b.writeUInt32BE(width, 16);
  b.writeUInt32BE(height, 20);
  return b;
}

// Issue 24 item 9: a file that is no image used to count, the run row was created, and every worker
// failed decoding it. The inspection reads each file's first bytes (format and size), never its pixels.
test('an image folder is listed and each header read, not decoded: a file that is no image is refused', async () => {
  const root = join(dir, 'pets');
  for (const [cls, files] of [
    ['cat', 3],
    ['dog', 5],
  ] as const) {
    mkdirSync(join(root, cls, 'sub'), { recursive: true });
    for (let i = 0; i < files; i++) writeFileSync(join(root, cls, i % 2 ? 'sub' : '', `${i}.png`), pngHeaderOnly(8, 6));
    writeFileSync(join(root, cls, 'notes.txt'), 'ignored');
  }
  const source = { kind: 'images' as const, path: root, size: [4, 4] as [number, number], channels: 1 as const };
  const shape = await withoutFullLoads(() => inspectDataSource(source));
  assert.deepEqual(shape, {
    name: 'pets',
    examples: 8,
    featureShape: [4, 4, 1],
    task: 'classification',
    numClasses: 2,
    classNames: ['cat', 'dog'],
    classCounts: [3, 5],
  });
  // Headers only: the pixels were never decoded, the load that decodes them fails.
  assert.throws(() => loadImageDataset(source, { cacheDir: join(dir, 'cache') }), /cannot read this image/);
  writeFileSync(join(root, 'dog', 'sub', '3.png'), 'not a png');
  await assert.rejects(
    inspectDataSource(source),
    /pets\/dog\/sub\/3\.png: cannot read this image: not a PNG or JPEG image \(its first bytes are neither signature\)$/,
  );
});
