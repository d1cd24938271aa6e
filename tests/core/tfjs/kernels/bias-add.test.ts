// Add on wasm with the bias fast path: x[..., C] + b[C] against float32 addition done here element by
// element (Math.fround of the float64 sum is the correctly rounded float32 sum), for bias shapes that
// take the SIMD path and ones that go to the stock kernel.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../../../../src/core/tfjs';
import { seededRandom, testSeed } from '../../../helpers/seed';

const sizeOf = (s: number[]) => s.reduce((a, b) => a * b, 1);

/** a + b with numpy broadcasting, each sum rounded to float32. */
function reference(av: Float32Array, as: number[], bv: Float32Array, bs: number[]): Float32Array {
  const rank = Math.max(as.length, bs.length);
  const pa = [...Array(rank - as.length).fill(1), ...as];
  const pb = [...Array(rank - bs.length).fill(1), ...bs];
  const out = pa.map((d, i) => Math.max(d, pb[i]));
  const res = new Float32Array(sizeOf(out));
  for (let i = 0; i < res.length; i++) {
    let rem = i;
    let ia = 0;
    let ib = 0;
    let sa = 1;
    let sb = 1;
    for (let k = rank - 1; k >= 0; k--) {
      const idx = rem % out[k];
      rem = Math.floor(rem / out[k]);
      ia += (pa[k] === 1 ? 0 : idx) * sa;
      ib += (pb[k] === 1 ? 0 : idx) * sb;
      sa *= pa[k];
      sb *= pb[k];
    }
    res[i] = Math.fround(av[ia] + bv[ib]);
  }
  return res;
}

describe('Add (bias) on wasm', () => {
  before(async () => {
    const sel = await selectBackend(['wasm']);
    assert.ok(sel.projectKernels.includes('Add'));
  });

  test('bias shapes in fours (fast path), others, commuted, leading 1s, equal shapes: exact float32 sums', () => {
    const rand = seededRandom(testSeed('bias-add'));
    const pick = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
    const cases: [number[], number[]][] = [
      [[256, 512], [512]],
      [[3, 5, 7, 32], [32]],
      [
        [2, 3, 8],
        [3, 8],
      ],
      [
        [4, 6, 12],
        [1, 1, 12],
      ],
      [[5, 10], [10]],
      [
        [4, 4],
        [4, 4],
      ],
      [
        [7, 3, 4],
        [1, 4],
      ],
      [[8], [2, 8]], // the bias is the first operand
    ];
    for (let t = 0; t < 20; t++) {
      const c = [1, 3, 4, 8, 12, 20, 36][pick(0, 6)];
      cases.push([[pick(1, 9), pick(1, 9), c], [c]]);
    }
    for (const [as, bs] of cases) {
      const av = new Float32Array(sizeOf(as)).map(() => (rand() - 0.5) * 10 ** pick(-4, 4));
      const bv = new Float32Array(sizeOf(bs)).map(() => (rand() - 0.5) * 10 ** pick(-4, 4));
      const want = reference(av, as, bv, bs);
      for (const [x, y] of [
        [
          [av, as],
          [bv, bs],
        ],
        [
          [bv, bs],
          [av, as],
        ],
      ] as const) {
        const got = tf.tidy(() => tf.add(tf.tensor(x[0], x[1]), tf.tensor(y[0], y[1])).dataSync());
        assert.equal(got.length, want.length);
        for (let i = 0; i < want.length; i++)
          assert.ok(Object.is(got[i], want[i]), `[${x[1]}] + [${y[1]}] at ${i}: ${got[i]}, reference ${want[i]}`);
      }
    }
  });

  test('int32 bias adds and NaN/∞ lanes', () => {
    const got = tf.tidy(() =>
      tf.add(tf.tensor([1, 2, 3, 4, 5, 6, 7, 8], [2, 4], 'int32'), tf.tensor([10, 20, 30, 40], [4], 'int32')),
    );
    assert.equal(got.dtype, 'int32');
    assert.deepEqual(Array.from(got.dataSync()), [11, 22, 33, 44, 15, 26, 37, 48]);
    got.dispose();
    const f = tf.tidy(() =>
      tf.add(tf.tensor([NaN, Infinity, -Infinity, 1, -0, 2, 3, 4], [2, 4]), tf.tensor([-0, -Infinity, 1, -1], [4])).dataSync(),
    );
    assert.ok(Number.isNaN(f[0]) && Number.isNaN(f[1]));
    assert.deepEqual(Array.from(f).slice(2), [-Infinity, 0, -0, -Infinity, 4, 3]);
    assert.ok(Object.is(f[3], 0) && Object.is(f[4], -0));
  });
});
