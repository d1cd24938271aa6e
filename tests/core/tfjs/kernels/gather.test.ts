// GatherV2 on wasm (whole rows along axis 0, the Embedding lookup) against rows picked by hand here,
// on the wasm project kernel and, for the same calls, on the cpu backend and the stock wasm kernel.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '../../../../src/core/tfjs/gradients';
import { selectBackend } from '../../../../src/core/tfjs';
import { registerProjectKernels, unregisterProjectKernels } from '../../../../src/core/tfjs/kernels';
import { seededRandom, testSeed } from '../../../helpers/seed';

/** out[i, ...] = table[ids[i], ...]: the lookup written out. */
function pickRows(table: ArrayLike<number>, rowLength: number, ids: number[]): number[] {
  return ids.flatMap((r) => Array.from({ length: rowLength }, (_, j) => table[r * rowLength + j]!));
}

const paths = [
  { name: 'wasm project kernel', backend: 'wasm' as const, project: true },
  { name: 'wasm stock kernel', backend: 'wasm' as const, project: false },
  { name: 'cpu', backend: 'cpu' as const, project: false },
];

describe('GatherV2 along axis 0', () => {
  after(async () => {
    await selectBackend(['wasm']);
    registerProjectKernels();
  });

  for (const path of paths) {
    test(`${path.name}: random tables and index shapes, float32 and int32, equal the rows picked by hand`, async () => {
      const sel = await selectBackend([path.backend], { projectKernels: path.project });
      if (path.backend === 'wasm' && !path.project) unregisterProjectKernels();
      assert.equal(sel.projectKernels.includes('GatherV2'), path.project);
      const rand = seededRandom(testSeed(`gather ${path.name}`));
      const pick = (n: number) => Math.floor(rand() * n);
      for (let t = 0; t < 20; t++) {
        const rowShape = [[], [1 + pick(9)], [1 + pick(4), 1 + pick(5)]][pick(3)]!;
        const rows = 1 + pick(50);
        const rowLength = rowShape.reduce((a, b) => a * b, 1);
        const dtype = rand() < 0.5 ? 'float32' : 'int32';
        const values = Array.from({ length: rows * rowLength }, () => (dtype === 'int32' ? pick(1000) - 500 : rand() - 0.5));
        const idShape = [[1 + pick(7)], [1 + pick(4), 1 + pick(6)]][pick(2)]!;
        const ids = Array.from({ length: idShape.reduce((a, b) => a * b, 1) }, () => pick(rows));
        tf.tidy(() => {
          const out = tf.gather(tf.tensor(values, [rows, ...rowShape], dtype), tf.tensor(ids, idShape, 'int32'));
          assert.deepEqual(out.shape, [...idShape, ...rowShape]);
          assert.equal(out.dtype, dtype);
          const want = pickRows(Float32Array.from(values), rowLength, ids);
          assert.deepEqual(Array.from(out.dataSync()), dtype === 'int32' ? want.map(Math.round) : want);
        });
      }
    });
  }

  test('wasm project kernel: an index outside the table is an error naming it, and leaks nothing', async () => {
    await selectBackend(['wasm']);
    registerProjectKernels();
    const table = tf.tensor([1, 2, 3, 4, 5, 6], [3, 2]);
    const before = tf.memory().numTensors;
    const dataIds = tf.backend().numDataIds();
    for (const bad of [3, -1])
      assert.throws(() => tf.gather(table, tf.tensor([0, bad], [2], 'int32')), {
        message: `GatherV2: the index value ${bad} is not in [0, 2]`,
      });
    // the two index tensors stay (the test made them); nothing else does
    assert.equal(tf.backend().numDataIds() - dataIds, tf.memory().numTensors - before);
    table.dispose();
  });

  test('wasm project kernel: another axis goes to the stock kernel and still picks the right values', async () => {
    await selectBackend(['wasm']);
    registerProjectKernels();
    tf.tidy(() => {
      const x = tf.tensor([1, 2, 3, 4, 5, 6], [2, 3]);
      assert.deepEqual(Array.from(tf.gather(x, tf.tensor([2, 0], [2], 'int32'), 1).dataSync()), [3, 1, 6, 4]);
    });
  });

  test('the gradient of a lookup (UnsortedSegmentSum) sums repeated rows', async () => {
    await selectBackend(['wasm']);
    registerProjectKernels();
    const g = tf.tidy(() =>
      tf.grad((t: tf.Tensor) =>
        tf.sum(
          tf.mul(
            tf.gather(t, tf.tensor([2, 0, 2], [3], 'int32')),
            tf.tensor([
              [1, 10],
              [100, 1000],
              [7, 70],
            ]),
          ),
        ),
      )(tf.zeros([3, 2])),
    );
    assert.deepEqual(Array.from(g.dataSync()), [100, 1000, 0, 0, 8, 80]);
  });
});
