// The native BLAS loader's "unavailable" answers (each with its fix), and the addon's own argument
// checks: a wrong size throws a JS error and writes nothing, never outside the arrays it was given.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIX_ADDON, FIX_OPENBLAS, loadNativeBlas, nativeBlasNote } from '../../src/workers/native-blas';
import { nativeForTests } from '../helpers/native-blas';
import { seededRandom, testSeed } from '../helpers/seed';

const { native, skip } = nativeForTests();

describe('loadNativeBlas when it cannot be used', () => {
  test("a run's nativeBlas false (DTRAIN_NATIVE_BLAS=0) turns it off without touching the addon", () => {
    const s = loadNativeBlas({ enabled: false, addonPath: '/nonexistent/dtrain_blas.node' });
    assert.equal(s.available, false);
    assert.ok(!s.available && s.disabled && s.fix === null);
    assert.equal(
      nativeBlasNote(s, 'wasm'),
      'native BLAS: off: turned off (nativeBlas false: DTRAIN_NATIVE_BLAS=0 or the run config)',
    );
  });

  test('an addon that was never built: says so, and the build command', () => {
    const s = loadNativeBlas({ addonPath: '/nonexistent/native/blas/build/dtrain_blas.node' });
    assert.ok(!s.available);
    assert.equal(s.addonBuilt, false);
    assert.match(s.reason, /^the addon is not built \(\/nonexistent\/native\/blas\/build\/dtrain_blas\.node missing\)$/);
    assert.equal(s.fix, FIX_ADDON);
    assert.match(nativeBlasNote(s, 'wasm'), /fix: node scripts\/build-native\.mjs/);
  });

  test('a file that is not a loadable addon: the loader error, and the build command', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dtrain-blas-'));
    try {
      const bad = join(dir, 'dtrain_blas.node');
      writeFileSync(bad, 'not an ELF file');
      const s = loadNativeBlas({ addonPath: bad });
      assert.ok(!s.available);
      assert.equal(s.addonBuilt, true);
      assert.match(s.reason, /does not load: .*(invalid ELF header|file too short)/);
      assert.equal(s.fix, FIX_ADDON);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('OpenBLAS missing (a library path that does not exist), or a library that is not OpenBLAS', { skip }, () => {
    const s = loadNativeBlas({ libraries: ['/nonexistent/libopenblas.so.0'] });
    assert.ok(!s.available);
    assert.match(s.reason, /^OpenBLAS not found \(\/nonexistent\/libopenblas\.so\.0: cannot open shared object file/);
    assert.equal(s.fix, FIX_OPENBLAS);
    const libm = loadNativeBlas({ libraries: ['libm.so.6'] });
    assert.ok(!libm.available);
    assert.match(libm.reason, /not OpenBLAS: cblas_sgemm/);
    // A failed open leaves the OpenBLAS already opened in this process working.
    const c = new Float32Array(1);
    native!.sgemm(false, false, 1, 1, 1, 1, Float32Array.of(3), 1, Float32Array.of(4), 1, 0, c, 1);
    assert.equal(c[0], 12);
  });

  test('the note on other backends says native BLAS is not used', () => {
    const s = loadNativeBlas({ enabled: false });
    assert.equal(nativeBlasNote(s, 'tensorflow'), 'native BLAS: not used (the tensorflow backend has its own kernels)');
  });
});

describe('the addon checks every size before touching memory', { skip }, () => {
  const n = native!;

  test('sgemm: short A/B/C, too small a leading dimension, non-integers, wrong types and counts throw', () => {
    const a = new Float32Array(6); // 2×3
    const b = new Float32Array(12); // 3×4
    const c = new Float32Array(8); // 2×4
    n.sgemm(false, false, 2, 4, 3, 1, a, 3, b, 4, 0, c, 4); // fits exactly
    assert.throws(
      () => n.sgemm(false, false, 2, 4, 3, 1, a.subarray(1), 3, b, 4, 0, c, 4),
      /RangeError: sgemm: A has 5 elements, the sizes given need 6/,
    );
    assert.throws(
      () => n.sgemm(false, false, 2, 4, 3, 1, a, 3, b.subarray(0, 11), 4, 0, c, 4),
      /sgemm: B has 11 elements, the sizes given need 12/,
    );
    assert.throws(() => n.sgemm(false, false, 2, 4, 3, 1, a, 3, b, 4, 0, c.subarray(0, 7), 4), /sgemm: C has 7 elements/);
    // Transposed, A is read as 3×2 with lda ≥ 2; the same 6 elements fit, lda 3 does not.
    assert.throws(() => n.sgemm(true, false, 2, 4, 3, 1, a, 3, b, 4, 0, c, 4), /sgemm: A has 6 elements, the sizes given need 8/);
    assert.throws(() => n.sgemm(false, false, 2, 4, 3, 1, a, 2, b, 4, 0, c, 4), /sgemm: lda \(2\) must be at least max\(1, 3\)/);
    assert.throws(() => n.sgemm(false, true, 2, 4, 3, 1, a, 3, b, 2, 0, c, 4), /sgemm: ldb \(2\) must be at least max\(1, 3\)/);
    assert.throws(() => n.sgemm(false, false, 2.5, 4, 3, 1, a, 3, b, 4, 0, c, 4), /sgemm: M must be an integer/);
    assert.throws(() => n.sgemm(false, false, -1, 4, 3, 1, a, 3, b, 4, 0, c, 4), /sgemm: M must be an integer in \[0,/);
    assert.throws(
      () => n.sgemm(false, false, 2, 4, 3, 1, new Float64Array(6) as unknown as Float32Array, 3, b, 4, 0, c, 4),
      /TypeError: sgemm: A must be a Float32Array/,
    );
    assert.throws(
      () => (n.sgemm as unknown as (...x: unknown[]) => void)(false, false, 2, 4),
      /TypeError: sgemm: expected 13 arguments, got 4/,
    );
  });

  test('opening OpenBLAS starts no thread pool and leaves OPENBLAS_NUM_THREADS unset (fresh process)', () => {
    const script = `const fs = require('fs');
      const threads = () => fs.readdirSync('/proc/self/task').length;
      const lib = require(${JSON.stringify(loadNativeBlas().addonPath)});
      const before = threads();
      lib.open('libopenblas.so.0');
      console.log(JSON.stringify({ before, after: threads(), env: process.env.OPENBLAS_NUM_THREADS ?? null }));`;
    const env = { ...process.env };
    delete env.OPENBLAS_NUM_THREADS;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env });
    assert.equal(r.status, 0, r.stderr);
    const { before, after, env: leaked } = JSON.parse(r.stdout) as { before: number; after: number; env: string | null };
    assert.equal(after, before, 'OpenBLAS started threads of its own');
    assert.equal(leaked, null);
  });

  test('sgemm writes only inside the C it was given (sentinels around a subarray stay)', () => {
    const buf = new Float32Array(2 + 6 + 2).fill(-7);
    const c = buf.subarray(2, 8); // 2×3 through the view's byteOffset
    n.sgemm(false, false, 2, 3, 1, 1, Float32Array.of(1, 2), 1, Float32Array.of(1, 1, 1), 3, 0, c, 3);
    assert.deepEqual(Array.from(buf), [-7, -7, 1, 1, 1, 2, 2, 2, -7, -7]);
  });

  test('rnnScan / rnnScanBackward: a bad config, short arrays, a missing LSTM cell state and wrong types throw', () => {
    const r = n.recurrence!;
    assert.ok(r, 'the addon has the recurrent kernels');
    const [B, T, u] = [2, 3, 4];
    const config = Int32Array.from([0, B, T, u, 0, 0, 0, 1, 0, 1]); // LSTM: 4 gates, final states after the outputs
    const f = (k: number) => new Float32Array(k);
    const args = () => ({
      pre: f(B * T * 4 * u),
      k: f(u * 4 * u),
      H: f((T + 1) * B * u),
      C: f((T + 1) * B * u),
      out: f(B * (T + 2) * u),
      saved: f(T * B * 5 * u),
    });
    const a = args();
    r.rnnScan(config, a.pre, a.k, null, null, a.H, a.C, a.out, a.saved); // fits exactly
    assert.throws(
      () => r.rnnScan(config, a.pre.subarray(1), a.k, null, null, a.H, a.C, a.out, a.saved),
      /RangeError: rnnScan: pre has 95 elements, the sizes given need 96/,
    );
    assert.throws(
      () => r.rnnScan(config, a.pre, a.k, null, null, a.H, a.C, a.out, a.saved.subarray(1)),
      /rnnScan: saved has 119 elements, the sizes given need 120/,
    );
    assert.throws(
      () => r.rnnScan(config, a.pre, a.k, f(15), null, a.H, a.C, a.out, a.saved),
      /rnnScan: bias has 15 elements, the sizes given need 16/,
    );
    assert.throws(
      () => r.rnnScan(config, a.pre, a.k, null, new Uint8Array(5), a.H, a.C, a.out, a.saved),
      /rnnScan: keep has 5 elements, the sizes given need 6/,
    );
    assert.throws(
      () => r.rnnScan(config, a.pre, a.k, null, null, a.H, null, a.out, a.saved),
      /TypeError: rnnScan: C must be a Float32Array/,
    );
    assert.throws(
      () => r.rnnScan(Int32Array.from([3, B, T, u, 0, 0, 0, 1, 0, 1]), a.pre, a.k, null, null, a.H, a.C, a.out, a.saved),
      /RangeError: rnnScan: bad config \(kind 3/,
    );
    assert.throws(
      () => r.rnnScan(new Int32Array(9), a.pre, a.k, null, null, a.H, a.C, a.out, a.saved),
      /TypeError: rnnScan: config must be an Int32Array of 10/,
    );
    assert.throws(
      () => (r.rnnScan as unknown as (...x: unknown[]) => void)(config, a.pre),
      /TypeError: rnnScan: expected 9 arguments, got 2/,
    );
    const d = { dOut: f(B * (T + 2) * u), dPre: f(B * T * 4 * u), dK: f(u * 4 * u), dInit: f(2 * B * u) };
    r.rnnScanBackward(config, a.k, null, a.H, a.C, a.saved, d.dOut, d.dPre, d.dK, null, d.dInit);
    assert.throws(
      () => r.rnnScanBackward(config, a.k, null, a.H, a.C, a.saved, d.dOut.subarray(1), d.dPre, d.dK, null, d.dInit),
      /RangeError: rnnScanBackward: dOut has 39 elements, the sizes given need 40/,
    );
    assert.throws(
      () => r.rnnScanBackward(config, a.k, null, a.H, a.C, a.saved, d.dOut, d.dPre, d.dK.subarray(1), null, d.dInit),
      /rnnScanBackward: dKernel has 63 elements, the sizes given need 64/,
    );
    // SimpleRNN needs no cell state: null is fine there
    const simple = Int32Array.from([2, B, T, u, 0, 0, 0, 0, 0, 1]);
    r.rnnScan(simple, f(B * T * u), f(u * u), null, null, f((T + 1) * B * u), null, f(B * (T + 1) * u), f(T * B * u));
  });

  test('im2col / col2im: short image or columns, stride 0, negative padding throw', () => {
    // N=1, 4×4×2 image, 3×3 taps, stride 1, pad 1 → 4×4 outputs of 18 values.
    const x = new Float32Array(32);
    const cols = new Float32Array(16 * 18);
    const geom = [1, 4, 4, 2, 3, 3, 1, 1, 1, 1, 4, 4] as const;
    n.im2col(x, ...geom, cols);
    n.col2im(cols, ...geom, x);
    assert.throws(() => n.im2col(x.subarray(1), ...geom, cols), /RangeError: im2col: x has 31 elements, the sizes given need 32/);
    assert.throws(() => n.im2col(x, ...geom, cols.subarray(1)), /im2col: cols has 287 elements, the sizes given need 288/);
    assert.throws(() => n.col2im(cols, ...geom, x.subarray(0, 30)), /col2im: x has 30 elements/);
    assert.throws(() => n.im2col(x, 1, 4, 4, 2, 3, 3, 0, 1, 1, 1, 4, 4, cols), /im2col: SH must be an integer in \[1,/);
    assert.throws(() => n.im2col(x, 1, 4, 4, 2, 3, 3, 1, 1, -1, 1, 4, 4, cols), /im2col: padTop must be an integer in \[0,/);
  });

  test('im2col follows its definition, and col2im is its adjoint: <im2col(x), c> = <x, col2im(c)>', () => {
    const rand = seededRandom(testSeed('im2col adjoint'));
    for (const [N, H, W, C, FH, FW, SH, SW, top, left] of [
      [2, 5, 7, 3, 3, 2, 1, 1, 1, 0],
      [1, 9, 6, 2, 2, 3, 2, 3, 0, 1],
      [3, 4, 4, 1, 5, 5, 2, 2, 2, 2],
    ]) {
      const OH = Math.floor((H + 2 * top - FH) / SH) + 1;
      const OW = Math.floor((W + 2 * left - FW) / SW) + 1;
      const K = FH * FW * C;
      const x = new Float32Array(N * H * W * C).map(() => 2 * rand() - 1);
      const cols = new Float32Array(N * OH * OW * K);
      n.im2col(x, N, H, W, C, FH, FW, SH, SW, top, left, OH, OW, cols);
      for (let r = 0; r < N * OH * OW; r++) {
        const nn = Math.floor(r / (OH * OW));
        const oh = Math.floor(r / OW) % OH;
        const ow = r % OW;
        for (let k = 0; k < K; k++) {
          const i = Math.floor(k / (FW * C));
          const j = Math.floor(k / C) % FW;
          const ih = oh * SH + i - top;
          const iw = ow * SW + j - left;
          const want = ih < 0 || ih >= H || iw < 0 || iw >= W ? 0 : x[((nn * H + ih) * W + iw) * C + (k % C)]!;
          assert.equal(cols[r * K + k], want, `cols[${r}, ${k}]`);
        }
      }
      const c = new Float32Array(cols.length).map(() => 2 * rand() - 1);
      const back = new Float32Array(x.length).fill(99); // col2im overwrites, it does not accumulate into old values
      n.col2im(c, N, H, W, C, FH, FW, SH, SW, top, left, OH, OW, back);
      let lhs = 0;
      let rhs = 0;
      cols.forEach((v, i) => (lhs += v * c[i]!));
      x.forEach((v, i) => (rhs += v * back[i]!));
      assert.ok(Math.abs(lhs - rhs) <= 1e-4 * (1 + Math.abs(lhs)), `adjoint: ${lhs} vs ${rhs}`);
    }
  });
});
