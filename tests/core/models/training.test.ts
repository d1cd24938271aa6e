// Training-step behaviour on wasm: SGD reduces the loss, slices combine into the exact global mean,
// dropout is seeded and slice-invariant, nothing leaks.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../../../src/core/tfjs';
import {
  buildModel,
  combineSums,
  evaluate,
  evaluateSum,
  forward,
  initParams,
  lossAndGrads,
  lossAndGradsSum,
  meansFromSums,
  paramTensors,
  type Model,
} from '../../../src/core/models';
import { counterUniform } from '../../../src/core/random/counter';

/** Three Gaussian-ish blobs in `dim` dimensions (class c centred at +2 on axis c). */
function blobs(n: number, dim: number, seed: number): { x: Float32Array; y: Int32Array } {
  const x = new Float32Array(n * dim);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % 3;
    for (let d = 0; d < dim; d++) x[i * dim + d] = (d === y[i] ? 2 : 0) + (counterUniform(seed, i * dim + d) - 0.5) * 2;
  }
  return { x, y };
}

function sgd(model: Model, params: Map<string, Float32Array>, grads: Map<string, Float32Array>, lr: number): void {
  for (const p of model.params) {
    const w = params.get(p.path)!;
    const g = grads.get(p.path)!;
    for (let i = 0; i < w.length; i++) w[i] -= lr * g[i];
  }
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

const MLP = buildModel({
  type: 'mlp',
  input: [4],
  layers: [
    { type: 'dense', units: 16, activation: 'relu' },
    { type: 'dropout', rate: 0.25 },
    { type: 'dense', units: 3 },
  ],
  loss: 'softmax_cross_entropy',
  metrics: ['accuracy'],
});
const CNN = buildModel({
  type: 'sequential',
  input: [8, 8, 1],
  layers: [
    { type: 'conv2d', filters: 8, kernelSize: 3, activation: 'relu', padding: 'same' },
    { type: 'maxPool2d', poolSize: 2 },
    { type: 'flatten' },
    { type: 'dense', units: 10 },
  ],
  loss: 'softmax_cross_entropy',
  metrics: ['accuracy'],
});

describe('training step on wasm', () => {
  before(async () => {
    assert.equal((await selectBackend(['wasm'])).name, 'wasm');
  });

  test('plain SGD reduces the loss of an MLP (with dropout) and raises its accuracy', () => {
    const params = initParams(MLP, 1);
    const { x, y } = blobs(96, 4, 3);
    const start = evaluate(MLP, params, x, y, 96);
    for (let step = 0; step < 40; step++) {
      const r = lossAndGrads(MLP, params, x, y, 96, { dropoutSeed: step });
      sgd(MLP, params, r.grads, 0.3);
    }
    const end = evaluate(MLP, params, x, y, 96);
    assert.ok(end.loss < 0.5 * start.loss, `loss ${start.loss} -> ${end.loss}`);
    assert.ok(end.metrics.accuracy > 0.9, `accuracy ${end.metrics.accuracy}`);
  });

  test('plain SGD reduces the loss of the small CNN', () => {
    const params = initParams(CNN, 2);
    const n = 40;
    const x = new Float32Array(n * 64);
    const y = new Int32Array(n).map((_, i) => i % 10);
    // Class c: a bright pixel at position 6c (plus noise).
    x.forEach((_, i) => (x[i] = 0.1 * counterUniform(5, i)));
    y.forEach((c, i) => (x[i * 64 + c * 6] += 1));
    const first = lossAndGrads(CNN, params, x, y, n);
    let last = first;
    for (let step = 0; step < 15; step++) {
      sgd(CNN, params, last.grads, 0.5);
      last = lossAndGrads(CNN, params, x, y, n);
    }
    assert.ok(last.loss < 0.7 * first.loss, `loss ${first.loss} -> ${last.loss}`);
  });

  test('slices of different sizes combine into the exact full-batch mean (MLP with dropout, CNN, mse)', () => {
    const mse = buildModel({
      type: 'mlp',
      input: [4],
      layers: [
        { type: 'dense', units: 5, activation: 'tanh' },
        { type: 'dense', units: 2 },
      ],
      loss: 'mse',
      metrics: ['mae'],
    });
    for (const model of [MLP, CNN, mse]) {
      const params = initParams(model, 4);
      const inSize = model.inputShape.reduce((a, b) => a * b, 1);
      const n = 11;
      const x = new Float32Array(n * inSize).map((_, i) => counterUniform(8, i) * 2 - 1);
      const y =
        model.loss === 'mse'
          ? new Float32Array(n * 2).map((_, i) => counterUniform(9, i))
          : new Int32Array(n).map((_, i) => (i * 7) % 3);
      const opts = { dropoutSeed: 77 };
      const full = lossAndGrads(model, params, x, y, n, opts);
      const cut = 4;
      const yCut = model.loss === 'mse' ? cut * 2 : cut;
      const a = lossAndGradsSum(model, params, x.subarray(0, cut * inSize), y.subarray(0, yCut), cut, {
        ...opts,
        exampleOffset: 0,
      });
      const b = lossAndGradsSum(model, params, x.subarray(cut * inSize), y.subarray(yCut), n - cut, {
        ...opts,
        exampleOffset: cut,
      });
      const combined = meansFromSums(combineSums([a, b]));
      assert.equal(combined.count, n);
      assert.ok(Math.abs(combined.loss - full.loss) < 1e-6, `loss ${combined.loss} vs ${full.loss}`);
      for (const k of model.metrics) assert.ok(Math.abs(combined.metrics[k] - full.metrics[k]) < 1e-6, k);
      for (const [path, g] of full.grads) {
        const d = maxAbsDiff(g, combined.grads.get(path)!);
        assert.ok(d < 1e-6, `${model.spec.layers[0].type} ${path}: max diff ${d}`);
      }
    }
  });

  test('dropout: seeded, different per seed, off in evaluation, scale keeps the expectation', () => {
    const params = initParams(MLP, 1);
    const { x, y } = blobs(30, 4, 1);
    const a = lossAndGrads(MLP, params, x, y, 30, { dropoutSeed: 5 });
    const b = lossAndGrads(MLP, params, x, y, 30, { dropoutSeed: 5 });
    const c = lossAndGrads(MLP, params, x, y, 30, { dropoutSeed: 6 });
    assert.equal(a.loss, b.loss);
    assert.notEqual(a.loss, c.loss);
    assert.throws(() => lossAndGrads(MLP, params, x, y, 30), /layer "dropout" is a dropout layer: pass dropoutSeed/);
    assert.equal(evaluate(MLP, params, x, y, 30).loss, evaluate(MLP, params, x, y, 30).loss);
    const ones = tf.tidy(() => {
      const m = buildModel({
        type: 'mlp',
        input: [1000],
        layers: [
          { type: 'dropout', rate: 0.3 },
          { type: 'dense', units: 2 },
        ],
        loss: 'mse',
      });
      const pt = paramTensors(m, initParams(m, 1));
      const h = forward({ ...m, layers: m.layers.slice(0, 1) }, pt, tf.ones([4, 1000]), { training: true, dropoutSeed: 1 });
      return Array.from(h.dataSync());
    });
    const kept = ones.filter((v) => v !== 0);
    assert.ok(kept.every((v) => Math.abs(v - 1 / 0.7) < 1e-6));
    assert.ok(Math.abs(kept.length / ones.length - 0.7) < 0.03);
  });

  test('evaluate, evaluateSum and the zero-size slice', () => {
    const params = initParams(CNN, 3);
    const x = new Float32Array(6 * 64).map((_, i) => counterUniform(2, i));
    const y = Int32Array.from([0, 1, 2, 3, 4, 5]);
    const sums = evaluateSum(CNN, params, x, y, 6);
    const means = evaluate(CNN, params, x, y, 6);
    assert.ok(Math.abs(sums.lossSum / 6 - means.loss) < 1e-9);
    assert.equal(lossAndGrads(CNN, params, x, y, 6).loss, means.loss);
    const empty = lossAndGradsSum(CNN, params, new Float32Array(0), new Int32Array(0), 0);
    assert.equal(empty.count, 0);
    assert.equal(empty.lossSum, 0);
    assert.ok([...empty.grads.values()].every((g) => g.every((v) => v === 0)));
    const withEmpty = meansFromSums(combineSums([empty, lossAndGradsSum(CNN, params, x, y, 6)]));
    assert.ok(Math.abs(withEmpty.loss - means.loss) < 1e-9);
  });

  test('input errors are clear', () => {
    const params = initParams(MLP, 1);
    assert.throws(
      () => lossAndGrads(MLP, params, new Float32Array(7), new Int32Array(2), 2, { dropoutSeed: 1 }),
      /inputs: expected 8 values \(batch 2 × \[4\]\), got 7/,
    );
    assert.throws(
      () => lossAndGrads(MLP, params, new Float32Array(8), Int32Array.from([0, 3]), 2, { dropoutSeed: 1 }),
      /labels\[1\] = 3: expected an integer class index in \[0, 3\)/,
    );
    assert.throws(() => evaluate(MLP, params, new Float32Array(8), Float32Array.from([0.5, 1]), 2), /labels\[0\] = 0.5/);
    const missing = new Map(params);
    missing.delete('dense_1.bias');
    assert.throws(
      () => evaluate(MLP, missing, new Float32Array(8), Int32Array.from([0, 1]), 2),
      /missing parameter "dense_1.bias"/,
    );
  });

  test('no tensor leak per step (lossAndGrads, evaluate, failed steps)', () => {
    const params = initParams(CNN, 1);
    const x = new Float32Array(4 * 64);
    const y = Int32Array.from([1, 2, 3, 4]);
    lossAndGrads(CNN, params, x, y, 4);
    const before = tf.memory().numTensors;
    // Backend-level buffers too: project kernels allocate intermediates the engine never sees.
    const dataIds = () => tf.backend().numDataIds();
    const idsBefore = dataIds();
    for (let i = 0; i < 3; i++) {
      lossAndGrads(CNN, params, x, y, 4);
      evaluate(CNN, params, x, y, 4);
      lossAndGradsSum(MLP, initParams(MLP, 1), new Float32Array(8), Int32Array.from([0, 1]), 2, { dropoutSeed: i });
      assert.throws(() => lossAndGrads(MLP, initParams(MLP, 1), new Float32Array(8), Int32Array.from([0, 1]), 2));
    }
    assert.equal(tf.memory().numTensors, before);
    assert.equal(dataIds(), idsBefore);
  });
});
