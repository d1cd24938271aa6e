import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeNpy, encodeNpy, type NpyDtype } from '../../../src/core/data/npy';
import { decodeNpz, encodeNpz } from '../../../src/core/data/npz';
import { pythonWithNumpy } from '../../helpers/external';

/** A .npy built by hand: magic, version 1.0, little-endian header length, header padded to 64, data. */
function handMadeNpy(descr: string, shape: string, fortran: boolean, data: Uint8Array): Uint8Array {
  let header = `{'descr': '${descr}', 'fortran_order': ${fortran ? 'True' : 'False'}, 'shape': ${shape}, }`;
  while ((10 + header.length + 1) % 64 !== 0) header += ' ';
  header += '\n';
  const out = new Uint8Array(10 + header.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0);
  out[8] = header.length & 0xff;
  out[9] = header.length >> 8;
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  out.set(data, 10 + header.length);
  return out;
}

test('decodeNpy: big-endian float64 built by hand', () => {
  const d = new DataView(new ArrayBuffer(24));
  [1.5, -2.25, 1e300].forEach((v, i) => d.setFloat64(i * 8, v, false));
  const a = decodeNpy(handMadeNpy('>f8', '(3,)', false, new Uint8Array(d.buffer)));
  assert.equal(a.dtype, 'float64');
  assert.deepEqual(a.shape, [3]);
  assert.deepEqual([...a.data], [1.5, -2.25, 1e300]);
});

test('decodeNpy: Fortran-order int16 (2, 3) comes back in C order', () => {
  // C order values [[1, 2, 3], [4, 5, 6]]; Fortran stores columns first: 1 4 2 5 3 6.
  const d = new DataView(new ArrayBuffer(12));
  [1, 4, 2, 5, 3, 6].forEach((v, i) => d.setInt16(i * 2, v, true));
  const a = decodeNpy(handMadeNpy('<i2', '(2, 3)', true, new Uint8Array(d.buffer)));
  assert.deepEqual([...a.data], [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(a.shape, [2, 3]);
});

test('decodeNpy: bool, uint8 and float16 bit patterns', () => {
  assert.deepEqual([...decodeNpy(handMadeNpy('|b1', '(3,)', false, Uint8Array.of(1, 0, 1))).data], [1, 0, 1]);
  // 0x3c00 = 1, 0xc000 = -2, 0x7bff = 65504 (max), 0x0001 = 2^-24 (smallest subnormal), 0x3555 ≈ 1/3.
  const bits = [0x3c00, 0xc000, 0x7bff, 0x0001, 0x3555];
  const d = new DataView(new ArrayBuffer(10));
  bits.forEach((b, i) => d.setUint16(i * 2, b, true));
  const h = decodeNpy(handMadeNpy('<f2', '(5,)', false, new Uint8Array(d.buffer)));
  assert.equal(h.dtype, 'float16');
  assert.deepEqual([...h.data], [1, -2, 65504, 2 ** -24, Math.fround(1 + 341 / 1024) / 4]);
  // Encoding rounds to the same bits.
  const enc = encodeNpy([1, -2, 65504, 2 ** -24, 1 / 3], 'float16', [5]);
  const back = new DataView(enc.buffer, enc.length - 10);
  assert.deepEqual(
    bits.map((_, i) => back.getUint16(i * 2, true)),
    bits,
  );
});

test('decodeNpy: object arrays, structured arrays, truncated data and bad magic are clear errors', () => {
  assert.throws(
    () => decodeNpy(handMadeNpy('|O', '(2,)', false, new Uint8Array(16))),
    /object arrays \(dtype 'O'\) cannot be read/,
  );
  assert.throws(() => decodeNpy(handMadeNpy('<U3', '(2,)', false, new Uint8Array(24))), /unsupported dtype '<U3'/);
  assert.throws(
    () => decodeNpy(handMadeNpy('<f4', '(4,)', false, new Uint8Array(8))),
    /truncated \.npy file: shape \(4\) of float32 needs 16 bytes, the file has 8/,
  );
  assert.throws(() => decodeNpy(Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])), /not a \.npy file/);
  const structured = new TextEncoder().encode("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }");
  const raw = handMadeNpy('<f4', '(1,)', false, new Uint8Array(4));
  raw.set(structured.subarray(0, Math.min(structured.length, 54)), 10);
  assert.throws(() => decodeNpy(raw), /structured|corrupt/);
});

test('encodeNpy → decodeNpy round trip for every dtype; header aligned to 64 bytes', () => {
  const cases: [NpyDtype, number[]][] = [
    ['bool', [1, 0, 1, 1]],
    ['int8', [-128, 0, 5, 127]],
    ['uint8', [0, 1, 200, 255]],
    ['int16', [-32768, 1, 2, 32767]],
    ['uint16', [0, 65535, 3, 4]],
    ['int32', [-(2 ** 31), 0, 7, 2 ** 31 - 1]],
    ['uint32', [0, 2 ** 32 - 1, 1, 2]],
    ['int64', [-(2 ** 53), 0, 3, 2 ** 53]],
    ['uint64', [0, 1, 2, 2 ** 53]],
    ['float16', [0.5, -1.5, 1024, 0]],
    ['float32', [0.25, -3, 2 ** 100, 7]],
    ['float64', [Math.PI, -1e-300, 0, 1]],
  ];
  for (const [dtype, values] of cases) {
    const bytes = encodeNpy(values, dtype, [2, 2]);
    const headerLen = bytes[8]! | (bytes[9]! << 8);
    assert.equal((10 + headerLen) % 64, 0, dtype);
    const a = decodeNpy(bytes);
    assert.equal(a.dtype, dtype);
    assert.deepEqual(a.shape, [2, 2]);
    assert.deepEqual([...a.data].map(Number), values, dtype);
  }
  assert.throws(() => encodeNpy([300], 'uint8', [1]), /value 300 at index 0 does not fit uint8/);
  assert.throws(() => encodeNpy([1, 2], 'float32', [3]), /holds 3 values, got 2/);
});

test('encodeNpz / decodeNpz round trip, stored and deflated', () => {
  for (const compress of [false, true]) {
    const npz = encodeNpz(
      [
        { name: 'x', values: [1, 2, 3, 4, 5, 6], dtype: 'float32', shape: [3, 2] },
        { name: 'y', values: [0, 1, 0], dtype: 'int64', shape: [3] },
      ],
      { compress },
    );
    const arrays = decodeNpz(npz);
    assert.deepEqual([...arrays.keys()].sort(), ['x', 'y']);
    assert.deepEqual([...arrays.get('x')!().data], [1, 2, 3, 4, 5, 6]);
    assert.deepEqual([...arrays.get('y')!().data], [0n, 1n, 0n]);
  }
  assert.throws(() => decodeNpz(Uint8Array.from([80, 75, 3, 4, 9, 9, 9])), /not a valid \.npz \(zip\) file/);
});

const py = pythonWithNumpy();

test(
  "real numpy: files numpy writes decode to numpy's values (every dtype, both orders, both endians, savez and savez_compressed)",
  { skip: 'reason' in py ? py.reason : false },
  () => {
    if ('reason' in py) return;
    const dir = mkdtempSync(join(tmpdir(), 'npy-'));
    const script = `
import numpy as np, sys
d = sys.argv[1]
base = np.arange(24).reshape(2, 3, 4) - 7
for dt in ['bool', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'float16', 'float32', 'float64']:
    a = (np.abs(base) if dt.startswith('u') else base).astype(dt)
    if dt.startswith('float'): a = a / 4
    np.save(f'{d}/{dt}_c.npy', a)
    np.save(f'{d}/{dt}_f.npy', np.asfortranarray(a))
    np.save(f'{d}/{dt}_be.npy', a.astype(a.dtype.newbyteorder('>')))
np.savez(f'{d}/plain.npz', x=base.astype('float32'), y=np.arange(2))
np.savez_compressed(f'{d}/packed.npz', x=base.astype('float64'), y=np.arange(2))
`;
    const run = spawnSync(py.python, ['-c', script, dir], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const expected = (dtype: string): number[] => {
      const v = Array.from({ length: 24 }, (_, i) => i - 7);
      if (dtype === 'bool') return v.map((x) => (x !== 0 ? 1 : 0));
      if (dtype.startsWith('u')) return v.map(Math.abs);
      if (dtype.startsWith('float')) return v.map((x) => x / 4);
      return v;
    };
    for (const dtype of [
      'bool',
      'int8',
      'uint8',
      'int16',
      'uint16',
      'int32',
      'uint32',
      'int64',
      'uint64',
      'float16',
      'float32',
      'float64',
    ]) {
      for (const variant of ['c', 'f', 'be']) {
        const a = decodeNpy(readFileSync(join(dir, `${dtype}_${variant}.npy`)));
        assert.equal(a.dtype, dtype, `${dtype}_${variant}`);
        assert.deepEqual(a.shape, [2, 3, 4]);
        assert.deepEqual([...a.data].map(Number), expected(dtype), `${dtype}_${variant}`);
      }
    }
    for (const f of ['plain', 'packed']) {
      const arrays = decodeNpz(readFileSync(join(dir, `${f}.npz`)));
      assert.deepEqual(
        [...arrays.get('x')!().data],
        expected('float32').map((x) => x * 4),
      );
      assert.deepEqual([...arrays.get('y')!().data].map(Number), [0, 1]);
    }
  },
);

test('real numpy: numpy.load reads what encodeNpy / encodeNpz write', { skip: 'reason' in py ? py.reason : false }, () => {
  if ('reason' in py) return;
  const dir = mkdtempSync(join(tmpdir(), 'npy-'));
  writeFileSync(join(dir, 'a.npy'), encodeNpy([1.5, -2, 3.25, 4, 5, 6], 'float32', [2, 3]));
  writeFileSync(
    join(dir, 'b.npz'),
    encodeNpz(
      [
        { name: 'x', values: [0.5, 1, 65504, -0], dtype: 'float16', shape: [4] },
        { name: 'y', values: BigInt64Array.of(-5n, 2n ** 62n), dtype: 'int64', shape: [2, 1] },
        { name: 'm', values: [1, 0], dtype: 'bool', shape: [2] },
      ],
      { compress: true },
    ),
  );
  const script = `
import numpy as np, json, sys
d = sys.argv[1]
a = np.load(f'{d}/a.npy'); z = np.load(f'{d}/b.npz')
print(json.dumps({'a': [str(a.dtype), list(a.shape), a.ravel().tolist()],
  **{k: [str(z[k].dtype), list(z[k].shape), [str(v) for v in z[k].ravel().tolist()]] for k in sorted(z.files)}}))
`;
  const run = spawnSync(py.python, ['-c', script, dir], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  assert.deepEqual(JSON.parse(run.stdout), {
    a: ['float32', [2, 3], [1.5, -2, 3.25, 4, 5, 6]],
    m: ['bool', [2], ['True', 'False']],
    x: ['float16', [4], ['0.5', '1.0', '65504.0', '-0.0']],
    y: ['int64', [2, 1], ['-5', String(2n ** 62n)]],
  });
});
