// A training step (loss and every gradient) with the native-BLAS kernels equals the same step on the
// wasm project kernels within float32 tolerance: an MLP, and a CNN with same/valid padding and stride 2.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { registerProjectKernels, selectBackend, type NativeGemm } from '../../../src/core/tfjs';
import { buildModel, initParams, lossAndGrads, type Model } from '../../../src/core/models';
import { nativeForTests } from '../../helpers/native-blas';
import { seededRandom, testSeed } from '../../helpers/seed';

const { native, skip } = nativeForTests();

const MLP = {
  type: 'mlp',
  input: [37],
  loss: 'softmax_cross_entropy',
  layers: [
    { type: 'dense', units: 29, activation: 'relu' },
    { type: 'dense', units: 17, activation: 'relu' },
    { type: 'dense', units: 5 },
  ],
};
const CNN = {
  type: 'sequential',
  input: [15, 13, 3],
  loss: 'softmax_cross_entropy',
  layers: [
    { type: 'conv2d', filters: 8, kernelSize: 3, activation: 'relu', padding: 'same' },
    { type: 'maxPool2d', poolSize: 2 },
    { type: 'conv2d', filters: 6, kernelSize: [2, 3], strides: 2, activation: 'relu' },
    { type: 'flatten' },
    { type: 'dense', units: 5 },
  ],
};

describe('a training step on native BLAS equals the wasm-kernel step', { skip }, () => {
  let rand: () => number;
  // Counts native calls, so a pass cannot come from the wasm kernels running both steps.
  const calls = { sgemm: 0, im2col: 0, col2im: 0 };
  const counting: NativeGemm = {
    sgemm: (...a) => {
      calls.sgemm++;
      native!.sgemm(...a);
    },
    im2col: (...a) => {
      calls.im2col++;
      native!.im2col(...a);
    },
    col2im: (...a) => {
      calls.col2im++;
      native!.col2im(...a);
    },
  };
  before(async () => {
    rand = seededRandom(testSeed('native BLAS training step'));
    await selectBackend(['wasm']);
  });
  after(() => registerProjectKernels());

  function step(
    model: Model,
    params: Map<string, Float32Array>,
    x: Float32Array,
    y: Int32Array,
    batch: number,
    onNative: boolean,
  ) {
    registerProjectKernels(onNative ? { native: counting } : {});
    return lossAndGrads(model, params, x, y, batch);
  }

  for (const [name, spec] of [
    ['MLP 37-29-17-5', MLP],
    ['CNN conv3x3 same, pool, conv2x3 stride 2 valid, dense', CNN],
  ] as const) {
    test(name, () => {
      const model = buildModel(spec);
      const batch = 19;
      const params = initParams(model, 1 + Math.floor(rand() * 1000));
      const inSize = model.inputShape.reduce((a, b) => a * b, 1);
      const x = new Float32Array(batch * inSize).map(() => 2 * rand() - 1);
      const y = new Int32Array(batch).map(() => Math.floor(rand() * 5));
      const wasm = step(model, params, x, y, batch, false);
      assert.deepEqual(calls, { sgemm: 0, im2col: 0, col2im: 0 });
      const blas = step(model, params, x, y, batch, true);
      // Forward and both gradients of every dense layer (no input gradient for the first layer).
      const dense = model.params.filter((p) => p.shape.length === 2).length;
      assert.ok(calls.sgemm >= 3 * dense - 1, `sgemm calls ${calls.sgemm} for ${dense} dense layers`);
      // Every conv layer: forward and filter gradient through im2col, input gradient (not the first) through col2im.
      const convs = model.params.filter((p) => p.shape.length === 4).length;
      assert.ok(
        calls.im2col >= 2 * convs && calls.col2im >= convs - 1,
        `im2col ${calls.im2col}, col2im ${calls.col2im} for ${convs} conv layers`,
      );
      Object.assign(calls, { sgemm: 0, im2col: 0, col2im: 0 });
      assert.ok(Math.abs(blas.loss - wasm.loss) <= 1e-5 * Math.abs(wasm.loss), `loss ${blas.loss} vs ${wasm.loss}`);
      for (const p of model.params) {
        const g = blas.grads.get(p.path)!;
        const w = wasm.grads.get(p.path)!;
        let norm = 0;
        for (const v of w) norm = Math.max(norm, Math.abs(v));
        assert.ok(norm > 0, `${p.path}: the wasm gradient is not all zero`);
        for (let i = 0; i < w.length; i++) {
          assert.ok(Math.abs(g[i]! - w[i]!) <= 1e-4 * norm, `${p.path}[${i}]: native ${g[i]} vs wasm ${w[i]} (max |g| ${norm})`);
        }
      }
    });
  }
});
