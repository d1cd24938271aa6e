// headsMatMul (the attention's per-head products on [batch, rows, heads, cols] or [batch, heads, rows,
// cols] operands, no transposes: one kernel on wasm with the native addon, Transpose + matMul
// elsewhere) against a float64 reference written here from the definition, C[b,h] = op(A[b,h])·op(B[b,h])
// with each operand read through its layout, and the gradients of Σ C·W accumulated term by term
// into each operand's own layout. Every transpose and layout combination, on every path a user lands
// on: wasm with the native BLAS, wasm without it, stock wasm (project kernels off), cpu.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '../../../src/core/tfjs/gradients';
import { selectBackend, unregisterProjectKernels, type NativeGemm } from '../../../src/core/tfjs';
import { headsMatMul, type HeadsLayout, type HeadsMatMulAttrs } from '../../../src/core/tfjs/heads-matmul';
import { nativeForTests } from '../../helpers/native-blas';
import { seededRandom, testSeed } from '../../helpers/seed';
import { assertNearEach } from '../../helpers/near';

const [B, H] = [2, 3];
const [M, K, N] = [5, 4, 6];

/** Storage index of matrix element (i, j) of head h of batch b, the matrices rows × cols. */
function at(layout: HeadsLayout, rows: number, cols: number) {
  return (b: number, h: number, i: number, j: number) =>
    layout === 'byHead' ? ((b * H + h) * rows + i) * cols + j : ((b * rows + i) * H + h) * cols + j;
}
const shapeOf = (layout: HeadsLayout, rows: number, cols: number) =>
  layout === 'byHead' ? [B, H, rows, cols] : [B, rows, H, cols];

/** op(A) is M×K, op(B) K×N: the stored matrices are their transposes when the flag is set. */
function reference(a: Float32Array, b: Float32Array, w: Float64Array, o: HeadsMatMulAttrs) {
  const ia = o.transposeA ? at(o.layoutA, K, M) : at(o.layoutA, M, K);
  const ib = o.transposeB ? at(o.layoutB, N, K) : at(o.layoutB, K, N);
  const ic = at(o.layoutOut, M, N);
  const opA = (bb: number, h: number, i: number, k: number) => (o.transposeA ? ia(bb, h, k, i) : ia(bb, h, i, k));
  const opB = (bb: number, h: number, k: number, j: number) => (o.transposeB ? ib(bb, h, j, k) : ib(bb, h, k, j));
  const c = new Float64Array(B * H * M * N);
  const da = new Float64Array(a.length);
  const db = new Float64Array(b.length);
  for (let bb = 0; bb < B; bb++)
    for (let h = 0; h < H; h++)
      for (let i = 0; i < M; i++)
        for (let j = 0; j < N; j++) {
          const wij = w[ic(bb, h, i, j)]!;
          for (let k = 0; k < K; k++) {
            c[ic(bb, h, i, j)]! += a[opA(bb, h, i, k)]! * b[opB(bb, h, k, j)]!;
            da[opA(bb, h, i, k)]! += wij * b[opB(bb, h, k, j)]!;
            db[opB(bb, h, k, j)]! += wij * a[opA(bb, h, i, k)]!;
          }
        }
  return { c, da, db };
}

function combinations(): HeadsMatMulAttrs[] {
  const out: HeadsMatMulAttrs[] = [];
  const layouts: HeadsLayout[] = ['byHead', 'byRow'];
  for (const transposeA of [false, true])
    for (const transposeB of [false, true])
      for (const layoutA of layouts)
        for (const layoutB of layouts)
          for (const layoutOut of layouts) out.push({ transposeA, transposeB, layoutA, layoutB, layoutOut });
  return out;
}

const { native, skip: noBlas } = nativeForTests();
const noHeads = noBlas || (native?.sgemmHeads ? false : 'this addon has no sgemmHeads (rebuild: node scripts/build-native.mjs)');
/** The addon as one built before sgemmHeads: the kernel calls sgemm per (batch, head). */
const older = (): NativeGemm => {
  const { sgemmHeads: _, ...rest } = native!;
  return rest;
};
const paths = [
  { name: 'wasm+blas', backend: 'wasm' as const, project: true, native: () => native!, kernel: true, skip: noHeads },
  {
    name: 'wasm+blas, an addon without sgemmHeads',
    backend: 'wasm' as const,
    project: true,
    native: older,
    kernel: true,
    skip: noBlas,
  },
  { name: 'wasm', backend: 'wasm' as const, project: true, native: null, kernel: false, skip: false as const },
  { name: 'wasm stock kernels', backend: 'wasm' as const, project: false, native: null, kernel: false, skip: false as const },
  { name: 'cpu', backend: 'cpu' as const, project: false, native: null, kernel: false, skip: false as const },
];

describe('headsMatMul against a float64 reference', () => {
  after(async () => {
    await selectBackend(['wasm']);
  });

  for (const path of paths) {
    test(`${path.name}: every transpose and layout, values and both gradients`, { skip: path.skip }, async () => {
      await selectBackend([path.backend], { projectKernels: path.project, ...(path.native ? { native: path.native() } : {}) });
      if (!path.project) unregisterProjectKernels();
      const rand = seededRandom(testSeed(`heads matmul ${path.name}`));
      for (const o of combinations()) {
        const [ar, ac] = o.transposeA ? [K, M] : [M, K];
        const [br, bc] = o.transposeB ? [N, K] : [K, N];
        const a = Float32Array.from({ length: B * H * M * K }, () => rand() - 0.5);
        const b = Float32Array.from({ length: B * H * K * N }, () => rand() - 0.5);
        const w = Float32Array.from({ length: B * H * M * N }, () => rand() - 0.5);
        const got = await tf.profile(() =>
          tf.tidy(() => {
            const [at_, bt, wt] = [
              tf.tensor(a, shapeOf(o.layoutA, ar, ac)),
              tf.tensor(b, shapeOf(o.layoutB, br, bc)),
              tf.tensor(w, shapeOf(o.layoutOut, M, N)),
            ];
            const c = headsMatMul(at_, bt, o);
            const [da, db] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(headsMatMul(x, y, o), wt)))([at_, bt]);
            return { c: c.dataSync(), shape: c.shape, da: da!.dataSync(), db: db!.dataSync() };
          }),
        );
        const r = got.result as unknown as { c: Float32Array; shape: number[]; da: Float32Array; db: Float32Array };
        const names = got.kernels.map((k) => k.name);
        const what = `${path.name} ${JSON.stringify(o)}`;
        assert.equal(names.includes('DtrainHeadsMatMul'), path.kernel, `${what}: ${names.join(',')}`);
        if (path.kernel) assert.ok(!names.includes('Transpose'), `${what}: no Transpose (${names.join(',')})`);
        assert.deepEqual(r.shape, shapeOf(o.layoutOut, M, N), what);
        const want = reference(a, b, Float64Array.from(w), o);
        assertNearEach(r.c, want.c, 1e-6, `${what} C`);
        assertNearEach(r.da, want.da, 1e-6, `${what} dA`);
        assertNearEach(r.db, want.db, 1e-6, `${what} dB`);
      }
    });
  }

  test('operands that do not multiply head by head: one clear error', { skip: noBlas }, async () => {
    await selectBackend(['wasm'], { native: native! });
    const o: HeadsMatMulAttrs = { transposeA: false, transposeB: false, layoutA: 'byRow', layoutB: 'byRow', layoutOut: 'byRow' };
    assert.throws(
      () => tf.tidy(() => headsMatMul(tf.zeros([2, 5, 3, 4]), tf.zeros([2, 5, 3, 4]), o)),
      /DtrainHeadsMatMul: \[2, 5, 3, 4\] and \[2, 5, 3, 4\] do not multiply per head/,
    );
  });

  test('sgemmHeads checks every length and stride before touching memory', { skip: noHeads }, () => {
    const g = native!.sgemmHeads!;
    const f = (k: number) => new Float32Array(k);
    // 2 batches × 3 heads of 2×2 matrices, [batch, heads, 2, 2]: 24 elements each.
    const call = (a: number, b: number, c: number, lda = 2, aBatch = 12) =>
      g(false, false, 2, 2, 2, f(a), lda, aBatch, 4, f(b), 2, 12, 4, f(c), 2, 12, 4, 2, 3);
    call(24, 24, 24); // fits exactly
    assert.throws(() => call(23, 24, 24), /RangeError: sgemmHeads: A has 23 elements, the sizes given need 24/);
    assert.throws(() => call(24, 23, 24), /sgemmHeads: B has 23 elements, the sizes given need 24/);
    assert.throws(() => call(24, 24, 23), /sgemmHeads: C has 23 elements, the sizes given need 24/);
    assert.throws(() => call(24, 24, 24, 1), /sgemmHeads: ldA \(1\) must be at least max\(1, 2\)/);
    assert.throws(() => call(24, 24, 24, 2, 13), /sgemmHeads: A has 24 elements, the sizes given need 25/);
    assert.throws(() => g(false, false, 2, 2, 0, f(24), 2, 12, 4, f(24), 2, 12, 4, f(24), 2, 12, 4, 2, 3), /sgemmHeads: K/);
  });
});
