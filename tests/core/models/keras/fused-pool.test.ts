// A Keras Conv2D (bias, relu) whose only consumer is a MaxPooling2D runs as one fused op on wasm
// (BiasReluMaxPool), with the same loss and gradients, bit for bit, as the unfused layers; a conv whose
// output is also used elsewhere is not fused.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { getKernel, registerKernel, unregisterKernel } from '@tensorflow/tfjs-core';
import { selectBackend } from '../../../../src/core/tfjs';
import { buildKerasModel, initParams, lossAndGradsSum, type Model } from '../../../../src/core/models/index';
import { seededRandom, testSeed } from '../../../helpers/seed';

const dense = (name: string, units: number) => ({ class_name: 'Dense', config: { name, units, activation: 'linear' } });
const conv = {
  class_name: 'Conv2D',
  config: { name: 'conv', filters: 4, kernel_size: [3, 3], padding: 'same', activation: 'relu', use_bias: true },
};
const pool = { class_name: 'MaxPooling2D', config: { name: 'pool', pool_size: [2, 2], padding: 'valid' } };

const SEQUENTIAL = {
  class_name: 'Sequential',
  config: {
    name: 'seq',
    layers: [
      { class_name: 'InputLayer', config: { batch_input_shape: [null, 8, 8, 1], name: 'x' } },
      conv,
      pool,
      { class_name: 'Flatten', config: { name: 'flat' } },
      dense('out', 3),
    ],
  },
};

/** The conv's output feeds the pool and, flattened, a second branch: it must stay materialised. */
const TWO_CONSUMERS = {
  class_name: 'Functional',
  config: {
    name: 'two',
    layers: [
      { class_name: 'InputLayer', config: { batch_input_shape: [null, 8, 8, 1], name: 'x' }, name: 'x', inbound_nodes: [] },
      { ...conv, name: 'conv', inbound_nodes: [[['x', 0, 0, {}]]] },
      { ...pool, name: 'pool', inbound_nodes: [[['conv', 0, 0, {}]]] },
      { class_name: 'Flatten', config: { name: 'f1' }, name: 'f1', inbound_nodes: [[['pool', 0, 0, {}]]] },
      { class_name: 'Flatten', config: { name: 'f2' }, name: 'f2', inbound_nodes: [[['conv', 0, 0, {}]]] },
      {
        class_name: 'Concatenate',
        config: { name: 'cat', axis: -1 },
        name: 'cat',
        inbound_nodes: [
          [
            ['f1', 0, 0, {}],
            ['f2', 0, 0, {}],
          ],
        ],
      },
      { ...dense('out', 3), name: 'out', inbound_nodes: [[['cat', 0, 0, {}]]] },
    ],
    input_layers: [['x', 0, 0]],
    output_layers: [['out', 0, 0]],
  },
};

const FUSED = ['BiasReluMaxPool', 'BiasReluMaxPoolGrad'];

async function step(model: Model, rand: () => number) {
  const params = initParams(model, 5);
  const batch = 6;
  const x = new Float32Array(batch * 64).map(() => rand() * 2 - 1);
  const y = new Int32Array(batch).map(() => Math.floor(rand() * 3));
  const run = () => lossAndGradsSum(model, params, x, y, batch);
  const info = await tf.profile(() => void run());
  return { ...run(), kernels: new Set(info.kernels.map((k) => k.name)) };
}

describe('Keras conv → max-pool fusion', () => {
  before(async () => {
    await selectBackend(['wasm']);
  });

  for (const [label, json, fuses] of [
    ['Sequential conv → pool', SEQUENTIAL, true],
    ['conv with a second consumer', TWO_CONSUMERS, false],
  ] as const) {
    test(`${label}: ${fuses ? 'fused' : 'not fused'}, the same loss and gradients as unfused`, async () => {
      const seed = testSeed(`keras fused pool (${label})`);
      const model = buildKerasModel(json, { loss: 'sparse_categorical_crossentropy', from_logits: true });
      const fused = await step(model, seededRandom(seed));
      assert.equal(fused.kernels.has('BiasReluMaxPool'), fuses);
      const saved = FUSED.map((k) => getKernel(k, 'wasm')!);
      FUSED.forEach((k) => unregisterKernel(k, 'wasm'));
      let plain: Awaited<ReturnType<typeof step>>;
      try {
        plain = await step(model, seededRandom(seed));
      } finally {
        saved.forEach((k) => registerKernel(k));
      }
      assert.ok(!plain.kernels.has('BiasReluMaxPool'));
      assert.ok(Object.is(fused.lossSum, plain.lossSum), `loss ${fused.lossSum} vs ${plain.lossSum}`);
      for (const [path, g] of plain.grads) assert.deepEqual(Array.from(fused.grads.get(path)!), Array.from(g), path);
    });
  }
});
