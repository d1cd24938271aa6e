// Sum over leading axes on wasm (SIMD rows when columns come in fours, JS otherwise) against a float64
// running sum per column written here: the kernel accumulates in float64 in row order, so it must equal
// the reference rounded once to float32, bit for bit.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../../../../src/core/tfjs';
import { seededRandom, testSeed } from '../../../helpers/seed';

function reference(x: Float32Array, rows: number, cols: number): Float32Array {
  const acc = new Float64Array(cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) acc[c] += x[r * cols + c];
  return Float32Array.from(acc);
}

describe('Sum over leading axes on wasm', () => {
  before(async () => {
    const sel = await selectBackend(['wasm']);
    assert.ok(sel.projectKernels.includes('Sum'));
  });

  test('random shapes, 1–3 leading axes, columns in fours and not, keepDims: equals the float64 sum', () => {
    const rand = seededRandom(testSeed('sum leading axes'));
    const pick = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
    for (let t = 0; t < 30; t++) {
      const k = pick(1, 3);
      const lead = Array.from({ length: k }, () => pick(1, 9));
      lead[0] = Math.ceil(64 / lead.slice(1).reduce((a, b) => a * b, 1)) + pick(0, 40); // ≥ 64 rows: the project path
      const rest = Array.from({ length: pick(1, 2) }, () => [1, 3, 4, 5, 8, 10, 12, 32, 36][pick(0, 8)]);
      const shape = [...lead, ...rest];
      const rows = lead.reduce((a, b) => a * b, 1);
      const cols = rest.reduce((a, b) => a * b, 1);
      // Wide dynamic range, so float32 and float64 running sums would differ.
      const xv = new Float32Array(rows * cols).map(() => (rand() - 0.5) * 10 ** pick(-3, 4));
      const keepDims = rand() < 0.5;
      tf.tidy(() => {
        const s = tf.sum(tf.tensor(xv, shape), [...Array(k).keys()].reverse(), keepDims);
        assert.deepEqual(s.shape, keepDims ? [...Array(k).fill(1), ...rest] : rest);
        const got = s.dataSync();
        const want = reference(xv, rows, cols);
        for (let c = 0; c < cols; c++)
          assert.ok(Object.is(got[c], want[c]), `[${shape}] column ${c}: ${got[c]}, reference ${want[c]}`);
      });
    }
  });

  test('few rows and other axes go to the stock kernel (float32), within float32 rounding', () => {
    const rand = seededRandom(testSeed('sum stock path'));
    const xv = new Float32Array(6 * 5 * 8).map(() => rand() - 0.5);
    const got = tf.tidy(() => [
      tf.sum(tf.tensor3d(xv, [6, 5, 8]), [0, 1]).dataSync(),
      tf.sum(tf.tensor3d(xv, [6, 5, 8]), [0, 2]).dataSync(),
    ]);
    const want0 = reference(xv, 30, 8);
    for (let c = 0; c < 8; c++) assert.ok(Math.abs(got[0][c] - want0[c]) <= 1e-5, `axes [0,1] column ${c}`);
    for (let j = 0; j < 5; j++) {
      let s = 0;
      for (let i = 0; i < 6; i++) for (let c = 0; c < 8; c++) s += xv[(i * 5 + j) * 8 + c];
      assert.ok(Math.abs(got[1][j] - s) <= 1e-5, `axes [0,2] entry ${j}`);
    }
  });

  test('no tensor or heap buffer left behind (the float64 scratch is freed)', () => {
    const ids = tf.backend().numDataIds();
    tf.tidy(() => tf.sum(tf.ones([300, 16]), 0).dataSync());
    assert.equal(tf.backend().numDataIds(), ids);
  });
});
