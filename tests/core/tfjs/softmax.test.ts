// scaledSoftmax (the attention's softmax(scale·logits): one forward and one gradient kernel on wasm
// with the native addon, tfjs's Mul and Softmax and their gradients elsewhere) against a float64 reference written here
// from the definition: y = exp(s·x − max)/Σ exp(s·x − max) per row; the gradient of Σ y·w is
// dx = s·y·(w − Σ w·y). Every path a user lands on: wasm with the native BLAS, wasm without it, stock
// wasm (project kernels off), cpu. The kernels' own loops: kernels/softmax-grad.test.ts.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '../../../src/core/tfjs/gradients';
import { selectBackend, unregisterProjectKernels } from '../../../src/core/tfjs';
import { scaledSoftmax } from '../../../src/core/tfjs/softmax';
import { nativeForTests } from '../../helpers/native-blas';
import { seededRandom, testSeed } from '../../helpers/seed';
import { assertNearEach } from '../../helpers/near';

function reference(x: Float32Array, w: Float32Array, cols: number, scale: number) {
  const y = new Float64Array(x.length);
  const dx = new Float64Array(x.length);
  for (let o = 0; o < x.length; o += cols) {
    const z = Array.from(x.subarray(o, o + cols), (v) => v * scale);
    const max = Math.max(...z);
    const e = z.map((v) => Math.exp(v - max));
    const sum = e.reduce((a, v) => a + v, 0);
    const p = e.map((v) => v / sum);
    const wy = p.reduce((a, v, j) => a + v * w[o + j]!, 0);
    p.forEach((v, j) => {
      y[o + j] = v;
      dx[o + j] = scale * v * (w[o + j]! - wy);
    });
  }
  return { y, dx };
}

const { native, skip: noBlas } = nativeForTests();
const paths = [
  { name: 'wasm+blas', backend: 'wasm' as const, project: true, native: true, fused: true, skip: noBlas },
  { name: 'wasm', backend: 'wasm' as const, project: true, native: false, fused: false, skip: false as const },
  { name: 'wasm stock kernels', backend: 'wasm' as const, project: false, native: false, fused: false, skip: false as const },
  { name: 'cpu', backend: 'cpu' as const, project: false, native: false, fused: false, skip: false as const },
];
// The bench Transformer's logits [batch, heads, t, s], a short odd row, one column.
const SHAPES = [
  [4, 4, 16, 64],
  [3, 2, 5, 7],
  [6, 1],
];

describe('scaledSoftmax against a float64 reference', () => {
  after(async () => {
    await selectBackend(['wasm']);
  });

  for (const path of paths) {
    test(`${path.name}: values and the logits' gradient within float32 rounding`, { skip: path.skip }, async () => {
      await selectBackend([path.backend], { projectKernels: path.project, ...(path.native ? { native: native! } : {}) });
      if (!path.project) unregisterProjectKernels();
      const rand = seededRandom(testSeed(`scaled softmax ${path.name}`));
      for (const shape of SHAPES) {
        const size = shape.reduce((a, n) => a * n, 1);
        const cols = shape[shape.length - 1]!;
        const x = Float32Array.from({ length: size }, () => (rand() - 0.5) * 12);
        const w = Float32Array.from({ length: size }, () => rand() - 0.5);
        const scale = 1 / Math.sqrt(16);
        const got = await tf.profile(() =>
          tf.tidy(() => {
            const xt = tf.tensor(x, shape);
            const wt = tf.tensor(w, shape);
            const y = scaledSoftmax(xt, scale);
            const dx = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(scaledSoftmax(a, scale), wt)))(xt);
            return { y: y.dataSync(), dx: dx.dataSync() };
          }),
        );
        const names = got.kernels.map((k) => k.name);
        const result = got.result as unknown as { y: Float32Array; dx: Float32Array };
        assert.equal(names.includes('DtrainSoftmaxGrad'), path.fused, names.join(','));
        // With the addon the forward is one kernel too (the logits' scale and the softmax).
        assert.equal(names.includes('DtrainScaledSoftmax'), path.fused, names.join(','));
        assert.equal(names.includes('Softmax'), !path.fused, names.join(','));
        const want = reference(x, w, cols, scale);
        const what = `${path.name} [${shape.join(', ')}]`;
        assertNearEach(result.y, want.y, 1e-6, `${what} y`);
        assertNearEach(result.dx, want.dx, 1e-6, `${what} dx`);
      }
    });
  }
});
