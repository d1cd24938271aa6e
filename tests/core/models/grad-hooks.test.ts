// Gradient hooks (grad-hooks.ts): with a gradSink, lossAndGradsSum hands each gradient over during
// backward, last layer first. Checked: the sink's gradients are bit for bit the gradients of an
// unhooked backward (the same tfjs kernels, no sink), on wasm and cpu, for an MLP with dropout and a
// CNN taking the fused conv→bias→relu→pool op; and the order: every parameter of a later layer is
// handed over before any parameter of an earlier layer, which is what lets a worker send the last
// layers' gradients while the first layer's backward still runs.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../../../src/core/tfjs';
import { buildModel, initParams, lossAndGradsSum, type Model } from '../../../src/core/models';
import type { ModelSpec } from '../../../src/core/models/spec';
import { seededRandom, testSeed } from '../../helpers/seed';

const MLP: ModelSpec = {
  type: 'mlp',
  input: [9],
  layers: [
    { type: 'dense', units: 12, activation: 'relu' },
    { type: 'dropout', rate: 0.25 },
    { type: 'dense', units: 8, activation: 'tanh' },
    { type: 'dense', units: 4 },
  ],
  loss: 'softmax_cross_entropy',
};
const CNN: ModelSpec = {
  type: 'sequential',
  input: [10, 10, 2],
  layers: [
    { type: 'conv2d', filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' },
    { type: 'maxPool2d', poolSize: 2 },
    { type: 'conv2d', filters: 3, kernelSize: 2, activation: 'tanh' },
    { type: 'flatten' },
    { type: 'dense', units: 5 },
  ],
  loss: 'softmax_cross_entropy',
};

function batch(model: Model, n: number, rand: () => number): { x: Float32Array; y: Int32Array } {
  const per = model.inputShape.reduce((a, b) => a * b, 1);
  return {
    x: Float32Array.from({ length: n * per }, () => 2 * rand() - 1),
    y: Int32Array.from({ length: n }, () => Math.floor(rand() * model.outputShape[0]!)),
  };
}

/** The layer a parameter belongs to, by its position in the model's layer list. */
function layerIndex(model: Model, path: string): number {
  const i = model.layers.findIndex((l) => 'kernel' in l && (l.kernel === path || l.bias === path));
  assert.ok(i >= 0, `no layer holds ${path}`);
  return i;
}

for (const backend of ['wasm', 'cpu'] as const) {
  describe(`gradient hooks on ${backend}`, () => {
    for (const [name, spec] of [
      ['MLP with dropout', MLP],
      ['CNN with the fused conv-pool op', CNN],
    ] as const) {
      test(`${name}: the sink gets the unhooked gradients, bit for bit, last layer first`, async () => {
        assert.equal((await selectBackend([backend])).name, backend);
        const seed = testSeed(`grad-hooks ${backend} ${name}`);
        const rand = seededRandom(seed);
        const model = buildModel(spec);
        const params = initParams(model, seed);
        for (const p of model.params) params.get(p.path)!.forEach((_, i, a) => (a[i] += 0.1 * (rand() - 0.5)));
        const { x, y } = batch(model, 6, rand);
        const opts = { dropoutSeed: seed, exampleOffset: 3 };
        const before = tf.memory().numTensors;

        const plain = lossAndGradsSum(model, params, x, y, 6, opts);
        const order: string[] = [];
        const hooked = lossAndGradsSum(model, params, x, y, 6, {
          ...opts,
          gradSink: (path, view) => (order.push(path), Float32Array.from(view)),
        });

        assert.equal(tf.memory().numTensors, before, 'no tensor leaks');
        assert.equal(hooked.lossSum, plain.lossSum);
        assert.deepEqual(order.slice().sort(), model.params.map((p) => p.path).sort(), 'each parameter handed over once');
        for (const p of model.params) {
          const a = hooked.grads.get(p.path)!,
            b = plain.grads.get(p.path)!;
          assert.ok(
            b.some((v) => v !== 0),
            `${p.path}: a gradient that is not all zero`,
          );
          assert.deepEqual(
            new Uint32Array(a.buffer, a.byteOffset, a.length),
            new Uint32Array(b.buffer, b.byteOffset, b.length),
            `${p.path}: same bits`,
          );
        }
        const layers = order.map((p) => layerIndex(model, p));
        for (let i = 1; i < layers.length; i++)
          assert.ok(layers[i]! <= layers[i - 1]!, `hook order by layer: ${order.join(', ')}`);
        assert.ok(layers[0]! > layers[layers.length - 1]!, 'the last layer comes before the first');
      });
    }
  });
}

// Deferred parameters (deferred-params.ts): values still on their way are taken when forward first
// reads them, in forward order, with kernels run in between (the first layer computes before the
// last layer's values are asked for), and the step's numbers are those of plain arrays, bit for bit.
for (const backend of ['wasm', 'cpu'] as const) {
  test(`deferred parameters on ${backend}: taken on first read, in forward order, same bits`, async () => {
    assert.equal((await selectBackend([backend])).name, backend);
    const seed = testSeed(`deferred-params ${backend}`);
    const rand = seededRandom(seed);
    const model = buildModel(MLP);
    const params = initParams(model, seed);
    const { x, y } = batch(model, 5, rand);
    const sink = (_: string, view: Float32Array) => Float32Array.from(view);
    const plain = lossAndGradsSum(model, params, x, y, 5, { dropoutSeed: seed, gradSink: sink });
    const taken: { path: string; tensors: number }[] = [];
    const deferred = new Map(
      model.params.map((p) => [
        p.path,
        {
          deferred: true as const,
          take: () => (taken.push({ path: p.path, tensors: tf.memory().numTensors }), params.get(p.path)!),
        },
      ]),
    );
    const later = lossAndGradsSum(model, deferred, x, y, 5, { dropoutSeed: seed, gradSink: sink });
    assert.equal(later.lossSum, plain.lossSum);
    for (const p of model.params) assert.deepEqual(later.grads.get(p.path), plain.grads.get(p.path), p.path);
    const layers = taken.map((t) => layerIndex(model, t.path));
    assert.deepEqual(
      layers,
      layers.slice().sort((a, b) => a - b),
      `forward order: ${taken.map((t) => t.path)}`,
    );
    const first = taken.find((t) => layerIndex(model, t.path) === layers[0])!;
    const last = taken.find((t) => layerIndex(model, t.path) === layers[layers.length - 1])!;
    assert.ok(
      last.tensors > first.tensors,
      `kernels ran between the first and the last take (${first.tensors} → ${last.tensors} tensors)`,
    );
  });
}
