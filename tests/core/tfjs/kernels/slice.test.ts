// Slice, SplitV and Unpack on wasm (copied run by run from wasm memory, not from a copy of the whole
// input) against elements picked by hand here, on the project kernels, the stock wasm kernels and cpu.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../../../../src/core/tfjs';
import { registerProjectKernels, unregisterProjectKernels } from '../../../../src/core/tfjs/kernels';
import { seededRandom, testSeed } from '../../../helpers/seed';

/** x[begin : begin + size] of a row-major array, element by element. */
function pickBox(x: number[], shape: number[], begin: number[], size: number[]): number[] {
  const out: number[] = [];
  const total = size.reduce((a, b) => a * b, 1);
  for (let flat = 0; flat < total; flat++) {
    let rest = flat;
    let offset = 0;
    for (let d = shape.length - 1, stride = 1; d >= 0; d--) {
      const i = rest % size[d]!;
      rest = Math.floor(rest / size[d]!);
      offset += (begin[d]! + i) * stride;
      stride *= shape[d]!;
    }
    out.push(x[offset]!);
  }
  return out;
}

const paths = [
  { name: 'wasm project kernels', backend: 'wasm' as const, project: true },
  { name: 'wasm stock kernels', backend: 'wasm' as const, project: false },
  { name: 'cpu', backend: 'cpu' as const, project: false },
];

describe('Slice, SplitV, Unpack', () => {
  after(async () => {
    await selectBackend(['wasm']);
    registerProjectKernels();
  });

  for (const path of paths)
    test(`${path.name}: random boxes, splits and unstacks of ranks 1–5, float32/int32/bool, equal the elements picked by hand`, async () => {
      const sel = await selectBackend([path.backend], { projectKernels: path.project });
      if (path.backend === 'wasm' && !path.project) unregisterProjectKernels();
      assert.equal(sel.projectKernels.includes('Slice'), path.project);
      const rand = seededRandom(testSeed(`slice ${path.name}`));
      const pick = (n: number) => Math.floor(rand() * n);
      for (let t = 0; t < 40; t++) {
        const shape = Array.from({ length: 1 + pick(5) }, () => 1 + pick(5));
        const n = shape.reduce((a, b) => a * b, 1);
        const dtype = (['float32', 'int32', 'bool'] as const)[pick(3)]!;
        const values = Array.from({ length: n }, () =>
          dtype === 'bool' ? pick(2) : dtype === 'int32' ? pick(100) - 50 : rand(),
        );
        const begin = shape.map((s) => pick(s));
        const size = shape.map((s, d) => pick(s - begin[d]! + 1)); // zero-size pieces included
        const axis = pick(shape.length);
        tf.tidy(() => {
          const x = tf.tensor(values, shape, dtype);
          const want = (b: number[], s: number[]) => pickBox(Array.from(Float32Array.from(values)), shape, b, s);
          const got = tf.slice(x, begin, size);
          assert.deepEqual(got.shape, size);
          assert.deepEqual(Array.from(got.dataSync()), want(begin, size), `slice [${shape}] at [${begin}] size [${size}]`);
          // split along `axis` into two uneven pieces (or one), and unstack along it
          const first = 1 + pick(shape[axis]!);
          const sizes = first < shape[axis]! ? [first, shape[axis]! - first] : [first];
          tf.split(x, sizes, axis).forEach((piece, k) => {
            const b = shape.map((_, d) => (d === axis ? (k === 0 ? 0 : first) : 0));
            const s = shape.map((e, d) => (d === axis ? sizes[k]! : e));
            assert.deepEqual(Array.from(piece.dataSync()), want(b, s), `split [${shape}] axis ${axis} piece ${k}`);
          });
          tf.unstack(x, axis).forEach((piece, i) => {
            const b = shape.map((_, d) => (d === axis ? i : 0));
            const s = shape.map((e, d) => (d === axis ? 1 : e));
            assert.deepEqual(
              piece.shape,
              shape.filter((_, d) => d !== axis),
            );
            assert.deepEqual(Array.from(piece.dataSync()), want(b, s), `unstack [${shape}] axis ${axis} piece ${i}`);
          });
        });
      }
    });

  test('wasm project kernels: strings still slice (the stock kernel), and nothing leaks', async () => {
    await selectBackend(['wasm']);
    registerProjectKernels();
    const s = tf.tensor(['a', 'b', 'c', 'd'], [2, 2], 'string');
    const before = tf.memory().numTensors;
    const piece = tf.slice(s, [1, 0], [1, 2]);
    assert.deepEqual(piece.arraySync(), [['c', 'd']]);
    const parts = tf.unstack(tf.tensor([1, 2, 3, 4, 5, 6], [3, 2]), 0);
    assert.deepEqual(
      parts.map((p) => Array.from(p.dataSync())),
      [
        [1, 2],
        [3, 4],
        [5, 6],
      ],
    );
    tf.dispose([piece, ...parts]);
    assert.equal(tf.memory().numTensors, before + 1, 'only the unstacked input is left'); // the [3, 2] input
    s.dispose();
  });
});
