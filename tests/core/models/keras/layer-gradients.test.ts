// Gradients of layers whose tfjs building blocks got them wrong, each against an independent reference:
// - AveragePooling 'same' divides by the cells inside the input (tfjs's own AvgPoolGrad divides by the
//   whole window at the borders): float64 sums written here;
// - UpSampling (tfjs's nearest-neighbour resize has a wrong gradient): dx is the sum of dy over each block;
// - a recurrent layer with go_backwards (reversing the array tfjs's tape holds paired each step with
//   another step's gradient): equal to the same layer run forward on the reversed sequence.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../../../../src/core/tfjs';
import { buildKerasModel, initParams, lossAndGradsSum, paramTensors } from '../../../../src/core/models/index';
import { runGraph } from '../../../../src/core/models/keras/graph';
import { seededRandom, testSeed } from '../../../helpers/seed';

const L = (class_name: string, config: object) => ({ class_name, config });
const seq = (layers: object[], shape: number[], loss = 'mse') =>
  buildKerasModel(
    {
      class_name: 'Sequential',
      config: { name: 's', layers: [L('InputLayer', { batch_shape: [null, ...shape], name: 'in' }), ...layers] },
    },
    { loss },
  );

/** d(Σ out·dy)/dx of the model's graph at x. */
function inputGradient(m: ReturnType<typeof seq>, x: Float32Array, dy: Float32Array, batch: number): Float32Array {
  return tf.tidy(() => {
    const pt = paramTensors(m, initParams(m, 1));
    const f = (xt: tf.Tensor) => {
      const out = runGraph(m.keras!.graph, pt, xt, { training: true, exampleOffset: 0 }).get(m.keras!.graph.output)!;
      return tf.sum(tf.mul(out, tf.tensor(dy, out.shape)));
    };
    return tf
      .grad(f)(tf.tensor(x, [batch, ...m.inputShape]))
      .dataSync() as Float32Array;
  });
}

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`layer gradients on ${backend}`, () => {
    const seed = testSeed(`layer-gradients ${backend}`);
    const rand = seededRandom(seed);
    test('AveragePooling2D "same": dx[cell] = Σ over the windows holding it of dy / (cells of the window inside the input)', async () => {
      await selectBackend([backend]);
      const [H, W, C, k, s] = [5, 4, 2, 3, 2];
      const m = seq([L('AveragePooling2D', { name: 'p', pool_size: k, strides: s, padding: 'same' })], [H, W, C]);
      const [OH, OW] = m.outputShape as [number, number];
      const x = Float32Array.from({ length: H * W * C }, () => rand());
      const dy = Float32Array.from({ length: OH * OW * C }, () => rand() * 2 - 1);
      const got = inputGradient(m, x, dy, 1);
      // TensorFlow's SAME: total padding (out−1)·s + k − in, the smaller half first.
      const padTop = Math.floor(Math.max((OH - 1) * s + k - H, 0) / 2);
      const padLeft = Math.floor(Math.max((OW - 1) * s + k - W, 0) / 2);
      const want = new Float64Array(x.length);
      for (let oh = 0; oh < OH; oh++)
        for (let ow = 0; ow < OW; ow++) {
          const rows = [...Array(k).keys()].map((i) => oh * s - padTop + i).filter((r) => r >= 0 && r < H);
          const cols = [...Array(k).keys()].map((j) => ow * s - padLeft + j).filter((q) => q >= 0 && q < W);
          for (const r of rows)
            for (const q of cols)
              for (let c = 0; c < C; c++) want[(r * W + q) * C + c]! += dy[(oh * OW + ow) * C + c]! / (rows.length * cols.length);
        }
      want.forEach((v, i) => assert.ok(Math.abs(got[i]! - v) <= 1e-6, `dx[${i}] = ${got[i]}, float64 ${v}`));
    });

    test('UpSampling2D and UpSampling1D: dx is the sum of dy over each repeated block', async () => {
      await selectBackend([backend]);
      const m2 = seq([L('UpSampling2D', { name: 'u', size: [2, 3] })], [3, 2, 2]);
      const x2 = Float32Array.from({ length: 12 }, () => rand());
      const dy2 = Float32Array.from({ length: 6 * 6 * 2 }, () => rand() * 2 - 1);
      const got2 = inputGradient(m2, x2, dy2, 1);
      const want2 = new Float64Array(12);
      for (let r = 0; r < 6; r++)
        for (let q = 0; q < 6; q++)
          for (let c = 0; c < 2; c++) want2[(Math.floor(r / 2) * 2 + Math.floor(q / 3)) * 2 + c]! += dy2[(r * 6 + q) * 2 + c]!;
      want2.forEach((v, i) => assert.ok(Math.abs(got2[i]! - v) <= 1e-6, `2D dx[${i}] = ${got2[i]}, float64 ${v}`));
      const m1 = seq([L('UpSampling1D', { name: 'u', size: 3 })], [4, 2]);
      const dy1 = Float32Array.from({ length: 24 }, () => rand() * 2 - 1);
      const got1 = inputGradient(
        m1,
        Float32Array.from({ length: 8 }, () => rand()),
        dy1,
        1,
      );
      const want1 = new Float64Array(8);
      for (let t = 0; t < 12; t++) for (let c = 0; c < 2; c++) want1[Math.floor(t / 3) * 2 + c]! += dy1[t * 2 + c]!;
      want1.forEach((v, i) => assert.ok(Math.abs(got1[i]! - v) <= 1e-6, `1D dx[${i}] = ${got1[i]}, float64 ${v}`));
    });

    for (const cls of ['LSTM', 'GRU', 'SimpleRNN']) {
      test(`${cls} with go_backwards: its loss and gradients are those of the forward layer on the reversed sequence`, async () => {
        await selectBackend([backend]);
        const [T, D, B] = [4, 3, 2];
        const back = seq([L(cls, { name: 'r', units: 3, go_backwards: true })], [T, D]);
        const fwd = seq([L(cls, { name: 'r', units: 3 })], [T, D]);
        const params = initParams(fwd, seed);
        const x = Float32Array.from({ length: B * T * D }, () => rand() * 2 - 1);
        const reversed = new Float32Array(x.length);
        for (let b = 0; b < B; b++)
          for (let t = 0; t < T; t++) reversed.set(x.subarray((b * T + t) * D, (b * T + t + 1) * D), (b * T + T - 1 - t) * D);
        const y = Float32Array.from({ length: B * 3 }, () => rand());
        const a = lossAndGradsSum(back, params, x, y, B);
        const b = lossAndGradsSum(fwd, params, reversed, y, B);
        assert.ok(Math.abs(a.lossSum - b.lossSum) <= 1e-6 * Math.abs(b.lossSum), `loss ${a.lossSum} vs ${b.lossSum}`);
        for (const [path, g] of b.grads) {
          const h = a.grads.get(path)!;
          g.forEach((v, i) =>
            assert.ok(Math.abs(h[i]! - v) <= 1e-5 * Math.max(1, Math.abs(v)), `${path}[${i}]: ${h[i]} vs ${v}`),
          );
        }
      });
    }
  });
}
