// Gradients of lossAndGrads (float32, tfjs wasm with the project kernels) against central finite
// differences of an independent float64 reference implementation.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../../../src/core/tfjs';
import { buildModel, initParams, lossAndGrads, type Model } from '../../../src/core/models';
import { counterUniform } from '../../../src/core/random/counter';
import { numericGrad, refLoss, toFloat64 } from './reference';

function data(model: Model, batch: number, seed: number): { x: Float32Array; y: Float32Array | Int32Array } {
  const inSize = model.inputShape.reduce((a, b) => a * b, 1);
  const x = new Float32Array(batch * inSize).map((_, i) => 2 * counterUniform(seed, i) - 1);
  if (model.loss === 'softmax_cross_entropy') {
    const classes = model.outputShape[0];
    return { x, y: new Int32Array(batch).map((_, i) => Math.floor(counterUniform(seed + 1, i) * classes)) };
  }
  const outSize = model.outputShape.reduce((a, b) => a * b, 1);
  return { x, y: new Float32Array(batch * outSize).map((_, i) => counterUniform(seed + 2, i)) };
}

/** Checks every parameter at up to `perParam` evenly spread indices. */
function checkGradients(model: Model, batch: number, perParam = 12): void {
  const params = initParams(model, 7);
  // Non-zero biases so their gradients pass through every activation regime.
  for (const p of model.params)
    if (p.init.kind === 'zeros') params.get(p.path)!.forEach((_, i, a) => (a[i] = 0.1 * Math.sin(i + 1)));
  const { x, y } = data(model, batch, 11);
  const result = lossAndGrads(model, params, x, y, batch);
  const p64 = toFloat64(params);
  const refL = refLoss(model, p64, x, y, batch);
  assert.ok(Math.abs(result.loss - refL) <= 1e-5 * Math.max(1, Math.abs(refL)), `loss ${result.loss} vs reference ${refL}`);
  for (const p of model.params) {
    const g = result.grads.get(p.path)!;
    assert.equal(g.length, params.get(p.path)!.length, `${p.path} gradient length`);
    const step = Math.max(1, Math.floor(g.length / perParam));
    for (let i = 0; i < g.length; i += step) {
      const num = numericGrad(model, p64, x, y, batch, p.path, i);
      const tol = 2e-5 + 1e-3 * Math.abs(num);
      assert.ok(Math.abs(g[i] - num) <= tol, `${p.path}[${i}]: analytic ${g[i]} vs numeric ${num}`);
    }
  }
}

describe('gradients vs float64 finite differences (wasm + project kernels)', () => {
  before(async () => {
    const sel = await selectBackend(['wasm']);
    assert.equal(sel.name, 'wasm');
  });

  test('MLP, softmax cross-entropy, tanh/sigmoid/relu', () => {
    const model = buildModel({
      type: 'mlp',
      input: [5],
      layers: [
        { type: 'dense', units: 7, activation: 'tanh' },
        { type: 'dense', units: 6, activation: 'sigmoid' },
        { type: 'dense', units: 5 },
        { type: 'activation', activation: 'relu' },
        { type: 'dense', units: 3 },
      ],
      loss: 'softmax_cross_entropy',
    });
    checkGradients(model, 9);
  });

  test('MLP, mse, rank-2 input flattened, no bias layer', () => {
    const model = buildModel({
      type: 'mlp',
      input: [2, 3],
      layers: [
        { type: 'dense', units: 4, activation: 'tanh', useBias: false },
        { type: 'dense', units: 2 },
      ],
      loss: 'mse',
      metrics: ['mae'],
    });
    checkGradients(model, 6);
  });

  test('CNN: same padding + stride 2, valid conv, same max-pool, auto-flatten dense', () => {
    const model = buildModel({
      type: 'sequential',
      input: [7, 6, 2],
      layers: [
        { type: 'conv2d', filters: 3, kernelSize: 3, strides: 2, padding: 'same', activation: 'tanh' },
        { type: 'conv2d', filters: 4, kernelSize: [2, 1], activation: 'relu' },
        { type: 'maxPool2d', poolSize: 2, padding: 'same' },
        { type: 'dense', units: 3 },
      ],
      loss: 'softmax_cross_entropy',
    });
    checkGradients(model, 5);
  });

  test('CNN: valid conv with stride [1, 2], overlapping pool, flatten, mse', () => {
    const model = buildModel({
      type: 'sequential',
      input: [8, 9, 1],
      layers: [
        { type: 'conv2d', filters: 4, kernelSize: [3, 2], strides: [1, 2], activation: 'sigmoid' },
        { type: 'maxPool2d', poolSize: 3, strides: 2 },
        { type: 'flatten' },
        { type: 'dense', units: 2 },
      ],
      loss: 'mse',
    });
    checkGradients(model, 4);
  });

  test('the cpu backend gives the same gradients as wasm', async () => {
    const model = buildModel({
      type: 'sequential',
      input: [6, 6, 2],
      layers: [
        { type: 'conv2d', filters: 3, kernelSize: 3, padding: 'same', activation: 'relu' },
        { type: 'maxPool2d' },
        { type: 'dense', units: 4 },
      ],
      loss: 'softmax_cross_entropy',
    });
    const params = initParams(model, 3);
    const { x, y } = data(model, 8, 5);
    const onWasm = lossAndGrads(model, params, x, y, 8);
    await tf.setBackend('cpu');
    try {
      const onCpu = lossAndGrads(model, params, x, y, 8);
      assert.ok(Math.abs(onWasm.loss - onCpu.loss) < 1e-5);
      for (const [path, g] of onCpu.grads) {
        const w = onWasm.grads.get(path)!;
        g.forEach((v, i) =>
          assert.ok(Math.abs(v - w[i]) <= 1e-5 * Math.max(1, Math.abs(v)), `${path}[${i}] cpu ${v} wasm ${w[i]}`),
        );
      }
    } finally {
      await tf.setBackend('wasm');
    }
  });
});
