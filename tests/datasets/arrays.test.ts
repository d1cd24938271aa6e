// npz / npy data sources as a Keras user has them: files written by real numpy (skipped with the reason
// when no Python with numpy is found) and bytes built here, through the same loader the workers use.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDatasetSync } from '../../src/datasets/load';
import { datasetSourceOf } from '../../src/datasets/source';
import { pythonWithNumpy } from '../helpers/external';

const dir = mkdtempSync(join(tmpdir(), 'dtrain-npz-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const py = pythonWithNumpy();
const skip = 'reason' in py ? py.reason : false;

function numpy(script: string): void {
  if ('reason' in py) throw new Error(py.reason);
  const r = spawnSync(py.python, ['-c', `import numpy as np, sys\nd = sys.argv[1]\n${script}`, dir], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
}

test('npz from numpy: int32 Embedding ids stay exact, int64 labels become classes', { skip }, () => {
  numpy(`
x = (np.arange(24).reshape(6, 4) * 1000003 % 9000000).astype('int32')
np.savez(f'{d}/ids.npz', tokens=x, labels=np.array([0, 2, 1, 2, 0, 1], dtype='int64'))`);
  const ds = loadDatasetSync(datasetSourceOf({ kind: 'npz', path: join(dir, 'ids.npz'), x: 'tokens', y: 'labels' }));
  assert.deepEqual(ds.featureShape, [4]);
  assert.deepEqual(
    [...ds.x],
    Array.from({ length: 24 }, (_, i) => (i * 1000003) % 9000000),
  );
  assert.deepEqual([...ds.y], [0, 2, 1, 2, 0, 1]);
  assert.equal(ds.task, 'classification');
  assert.equal(ds.numClasses, 3);
  assert.equal(ds.xDtype, 'int32');
});

test('npy pair from numpy: big-endian Fortran float64 images and float16 regression targets', { skip }, () => {
  numpy(`
x = (np.arange(5 * 2 * 3).reshape(5, 2, 3) / 8).astype('>f8')
np.save(f'{d}/x.npy', np.asfortranarray(x))
np.save(f'{d}/y.npy', (np.arange(10).reshape(5, 2) / 4).astype('float16'))`);
  const ds = loadDatasetSync({ kind: 'npy', x: join(dir, 'x.npy'), y: join(dir, 'y.npy') });
  assert.deepEqual(ds.featureShape, [2, 3]);
  assert.deepEqual(
    [...ds.x],
    Array.from({ length: 30 }, (_, i) => i / 8),
  );
  assert.equal(ds.task, 'regression');
  assert.equal(ds.targetDim, 2);
  assert.deepEqual(
    [...ds.y],
    Array.from({ length: 10 }, (_, i) => i / 4),
  );
});

test('npz from numpy: savez_compressed with bool labels and (n, 1) int labels', { skip }, () => {
  numpy(`
np.savez_compressed(f'{d}/b.npz', x=np.eye(4, dtype='uint8'), y=np.array([True, False, False, True]), y2=np.array([[1], [0], [1], [1]], dtype='int16'))`);
  const a = loadDatasetSync({ kind: 'npz', path: join(dir, 'b.npz') });
  assert.deepEqual([...a.y], [1, 0, 0, 1]);
  assert.deepEqual([...a.x], [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
  const b = loadDatasetSync({ kind: 'npz', path: join(dir, 'b.npz'), y: 'y2' });
  assert.deepEqual([...b.y], [1, 0, 1, 1]);
  assert.equal(b.numClasses, 2);
});

test('npz errors from numpy files: object array, mismatched lengths, missing key — one line naming the file', { skip }, () => {
  numpy(`
np.savez(f'{d}/obj.npz', x=np.array([{'a': 1}, None], dtype=object), y=np.arange(2))
np.savez(f'{d}/len.npz', x=np.zeros((5, 2), 'float32'), y=np.arange(4))`);
  const file = (n: string) => join(dir, n);
  assert.throws(
    () => loadDatasetSync({ kind: 'npz', path: file('obj.npz') }),
    (e: Error) =>
      e.message.includes(file('obj.npz')) &&
      /array 'x': object arrays \(dtype 'O'\) cannot be read/.test(e.message) &&
      !e.message.includes('\n'),
  );
  assert.throws(() => loadDatasetSync({ kind: 'npz', path: file('len.npz') }), /len\.npz: x has 5 rows but y has 4/);
  assert.throws(
    () => loadDatasetSync({ kind: 'npz', path: file('len.npz'), x: 'features' }),
    /len\.npz: no array 'features' \(it has: x, y\)/,
  );
});

/** A little-endian float32 .npy of a 1-D array, built byte by byte. */
function npyBytes(values: number[]): Uint8Array {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${values.length},), }`;
  while ((10 + header.length + 1) % 64) header += ' ';
  header += '\n';
  const out = new Uint8Array(10 + header.length + 4 * values.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 0xff, header.length >> 8]);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  const dv = new DataView(out.buffer, 10 + header.length);
  values.forEach((v, i) => dv.setFloat32(4 * i, v, true));
  return out;
}

test('hand-built files: a 1-D x becomes feature shape [1]; a corrupt or missing file is one clear line', () => {
  writeFileSync(join(dir, 'hx.npy'), npyBytes([0.5, 1.5, 2.5]));
  writeFileSync(join(dir, 'hy.npy'), npyBytes([1, 2, 3]));
  const ds = loadDatasetSync({ kind: 'npy', x: join(dir, 'hx.npy'), y: join(dir, 'hy.npy') });
  assert.deepEqual(ds.featureShape, [1]);
  assert.deepEqual([...ds.x], [0.5, 1.5, 2.5]);
  assert.deepEqual([...ds.y], [1, 2, 3]);
  const truncated = readFileSync(join(dir, 'hx.npy')).subarray(0, 70);
  writeFileSync(join(dir, 'cut.npy'), truncated);
  assert.throws(
    () => loadDatasetSync({ kind: 'npy', x: join(dir, 'cut.npy'), y: join(dir, 'hy.npy') }),
    /cut\.npy: truncated \.npy file/,
  );
  writeFileSync(join(dir, 'bad.npz'), 'PK\u0003\u0004 this is not a zip');
  assert.throws(() => loadDatasetSync({ kind: 'npz', path: join(dir, 'bad.npz') }), /bad\.npz: not a valid \.npz \(zip\) file/);
  assert.throws(() => loadDatasetSync({ kind: 'npz', path: join(dir, 'absent.npz') }), /absent\.npz: no such file/);
  assert.throws(() => loadDatasetSync({ kind: 'npy', x: join(dir, 'hx.npy') } as never), /npy dataset source needs "y"/);
});

test('data.shuffle and data.validation are run settings: the loader gets the source without them', () => {
  writeFileSync(join(dir, 'sx.npy'), npyBytes([1, 2, 3, 4]));
  writeFileSync(join(dir, 'sy.npy'), npyBytes([4, 3, 2, 1]));
  const source = datasetSourceOf({
    kind: 'npy',
    x: join(dir, 'sx.npy'),
    y: join(dir, 'sy.npy'),
    shuffle: false,
    validation: { fraction: 0.5 },
  } as never);
  assert.deepEqual(source, { kind: 'npy', x: join(dir, 'sx.npy'), y: join(dir, 'sy.npy') });
  assert.deepEqual(datasetSourceOf({ kind: 'csv', path: 'a.csv', shuffle: false } as never), { kind: 'csv', path: 'a.csv' });
  assert.throws(
    () => datasetSourceOf({ kind: 'csv', path: 'a.csv', shuffle: 'no' } as never),
    /data.shuffle must be true or false \(got "no"\)/,
  );
});

test('integer inputs beyond 2^24 are refused rather than rounded to float32', { skip }, () => {
  numpy(`np.savez(f'{d}/big.npz', x=np.array([[1], [2 ** 24 + 1]], dtype='int64'), y=np.array([0, 1]))`);
  assert.throws(
    () => loadDatasetSync({ kind: 'npz', path: join(dir, 'big.npz') }),
    /big\.npz: x holds the integer 16777217 at flat index 1: integers beyond 2\^24 cannot stay exact/,
  );
});
