// A model cut into units (stepUnits) and the unit-by-unit step (unitStepSums): where the cuts fall
// (parameter-free layers join the unit before them, a fused conv→pool is never split, a Keras graph is
// cut only where one tensor crosses), the order in which a step asks for each unit's parameters and
// hands over its gradients, and that the loss, metrics and every gradient are the whole-model tape's
// bits (lossAndGradsSum) — on the cpu backend here; real workers on every backend in
// tests/workers/fully-sharded/ and tests/workers/compute-paths.test.ts.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { useCpuBackend } from '../../helpers/tf';
import { seededRandom, testSeed } from '../../helpers/seed';
import { EMBEDDING_JSON } from '../../helpers/embedding-model';
import { buildModel, initParams, lossAndGradsSum, type Model } from '../../../src/core/models/index';
import { stepUnits } from '../../../src/core/models/units';
import { unitEvaluateSums, unitStepSums, type UnitPass } from '../../../src/core/models/unit-step';
import { evaluateSum } from '../../../src/core/models/train';

const CNN = {
  type: 'sequential',
  input: [6, 6, 2],
  layers: [
    { type: 'conv2d', filters: 3, kernelSize: 3, padding: 'same', activation: 'relu' },
    { type: 'maxPool2d', poolSize: 2 },
    { type: 'flatten' },
    { type: 'dropout', rate: 0.3 },
    { type: 'dense', units: 8, activation: 'relu' },
    { type: 'dense', units: 3 },
  ],
  loss: 'softmax_cross_entropy',
  metrics: ['accuracy'],
};

/** x → a; a → b; add(a, b) → c: a residual, so no cut may fall between b and add. */
const RESIDUAL = {
  type: 'keras',
  json: {
    class_name: 'Functional',
    config: {
      name: 'model',
      layers: [
        {
          class_name: 'InputLayer',
          config: { batch_input_shape: [null, 4], dtype: 'float32', name: 'x' },
          name: 'x',
          inbound_nodes: [],
        },
        {
          class_name: 'Dense',
          config: { name: 'a', units: 5, activation: 'relu' },
          name: 'a',
          inbound_nodes: [[['x', 0, 0, {}]]],
        },
        {
          class_name: 'Dense',
          config: { name: 'b', units: 5, activation: 'tanh' },
          name: 'b',
          inbound_nodes: [[['a', 0, 0, {}]]],
        },
        {
          class_name: 'Add',
          config: { name: 'add' },
          name: 'add',
          inbound_nodes: [
            [
              ['a', 0, 0, {}],
              ['b', 0, 0, {}],
            ],
          ],
        },
        { class_name: 'Dense', config: { name: 'c', units: 3 }, name: 'c', inbound_nodes: [[['add', 0, 0, {}]]] },
      ],
      input_layers: [['x', 0, 0]],
      output_layers: [['c', 0, 0]],
    },
  },
  loss: { class_name: 'SparseCategoricalCrossentropy', config: { from_logits: true } },
};

const EMBEDDING = {
  type: 'keras',
  json: EMBEDDING_JSON,
  loss: {
    module: 'keras.losses',
    class_name: 'SparseCategoricalCrossentropy',
    config: { from_logits: true },
    registered_name: null,
  },
};

const bits = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');

/** Hooks that hand over the whole parameters as tensors and record every call. */
function recordingHooks(model: Model, params: Map<string, Float32Array>) {
  const calls: string[] = [];
  const grads = new Map<string, Float32Array>();
  const held = new Map<number, tf.Tensor[]>();
  const shapes = new Map(model.params.map((p) => [p.path, p.shape]));
  const units = stepUnits(model);
  return {
    calls,
    grads,
    /** What the hooks still hold (a step that failed never released it). */
    disposeHeld: () => held.forEach((ts) => ts.forEach((t) => t.dispose())),
    hooks: {
      acquire: async (u: number, pass: UnitPass) => {
        calls.push(`acquire ${u} ${pass}`);
        const out = new Map(units[u]!.params.map((p) => [p, tf.tensor(params.get(p)!, shapes.get(p)!)] as const));
        held.set(u, [...out.values()]);
        return out;
      },
      release: (u: number, pass: UnitPass) => {
        calls.push(`release ${u} ${pass}`);
        held.get(u)?.forEach((t) => t.dispose());
      },
      beforeGradients: async (u: number) => void calls.push(`before ${u}`),
    },
    /** A worker's gradSink: takes each view during the call (it is valid only then), reports nothing. */
    gradSink: (path: string, view: Float32Array) => {
      calls.push(`gradient ${path}`);
      grads.set(path, Float32Array.from(view));
      return null;
    },
  };
}

describe('stepUnits and unitStepSums', () => {
  before(async () => {
    await useCpuBackend();
  });

  test('units: parameter-free layers join the unit before them; a fused conv→pool stays whole', () => {
    const units = stepUnits(buildModel(CNN));
    assert.deepEqual(
      units.map((u) => [u.name, u.params]),
      [
        ['conv2d+max_pooling2d+flatten+dropout', ['conv2d.kernel', 'conv2d.bias']],
        ['dense', ['dense.kernel', 'dense.bias']],
        ['dense_1', ['dense_1.kernel', 'dense_1.bias']],
      ],
    );
  });

  test('a Keras graph is cut only where one tensor crosses: never inside the residual', () => {
    const units = stepUnits(buildModel(RESIDUAL));
    assert.deepEqual(
      units.map((u) => [u.name, u.params]),
      [
        ['a', ['a/kernel', 'a/bias']],
        ['b+add', ['b/kernel', 'b/bias']],
        ['c', ['c/kernel', 'c/bias']],
      ],
    );
    const emb = stepUnits(buildModel(EMBEDDING));
    assert.deepEqual(
      emb.map((u) => [u.name, u.params, u.lookups.map((l) => l.table)]),
      [
        ['embedding+global_average_pooling1d', ['embedding/embeddings'], ['embedding/embeddings']],
        ['dense', ['dense/kernel', 'dense/bias'], []],
      ],
    );
  });

  for (const [name, spec, input, classes] of [
    ['conv with dropout', CNN, [6, 6, 2], 3],
    ['Keras residual graph', RESIDUAL, [4], 3],
    ['Keras embedding (sparse gradients)', EMBEDDING, [3], 3],
  ] as const) {
    test(`${name}: loss, metrics and gradients are the whole-model tape's bits`, async () => {
      const rand = seededRandom(testSeed(`units ${name}`));
      const model = buildModel(spec);
      const params = initParams(model, 3);
      const B = 7;
      const per = input.reduce((a, b) => a * b, 1);
      const ids = name.includes('embedding');
      const x = Float32Array.from({ length: B * per }, () => (ids ? Math.floor(rand() * 11) : rand() * 2 - 1));
      const y = Int32Array.from({ length: B }, () => Math.floor(rand() * classes));
      // A loss scale (Keras's loss_scale_factor) on every model, the Embedding one included: the
      // whole-model sparse step applies it too (embedding-step.ts; tests/core/models/loss-scale.test.ts).
      const scaleLoss = (l: tf.Scalar) => tf.mul(l, 4) as tf.Scalar;
      const opts = { dropoutSeed: 17, exampleOffset: 5, scaleLoss };
      const whole = lossAndGradsSum(model, params, x, y, B, opts);
      const { hooks, grads, calls, gradSink } = recordingHooks(model, params);
      const before = tf.memory().numTensors;
      const units = stepUnits(model);
      const sums = await unitStepSums(model, units, x, y, B, hooks, { ...opts, gradSink });
      assert.equal(tf.memory().numTensors, before, 'no tensor left behind');
      assert.equal(sums.lossSum, whole.lossSum);
      assert.deepEqual(sums.metricSums, whole.metricSums);
      for (const [p, g] of whole.grads) assert.equal(bits(grads.get(p)!), bits(g), p);
      assert.equal(grads.size, whole.grads.size);
      assert.equal(sums.grads.size, 0, 'the sink kept every gradient: none reported');
      for (const [p, s] of whole.sparse ?? []) {
        assert.deepEqual([...sums.sparse!.get(p)!.rows], [...s.rows], `${p} rows`);
        assert.equal(bits(sums.sparse!.get(p)!.values as Float32Array), bits(s.values as Float32Array), `${p} values`);
      }
      // Forward asks for every unit in order, backward from the last; each unit's gradients go to the
      // sink right after its backward, before the unit's parameters are released.
      const expected = [
        ...units.flatMap((u) => [`acquire ${u.index} forward`, `release ${u.index} forward`]),
        ...units
          .map((u) => u.index)
          .reverse()
          .flatMap((u) => [
            `acquire ${u} backward`,
            `before ${u}`,
            ...units[u]!.params.filter((p) => !model.params.find((q) => q.path === p)!.sparse).map((p) => `gradient ${p}`),
            `release ${u} backward`,
          ]),
      ];
      assert.deepEqual(calls, expected);
      // Without a sink the gradients are collected, as lossAndGradsSum collects them.
      const collected = await unitStepSums(model, units, x, y, B, recordingHooks(model, params).hooks, opts);
      assert.deepEqual([...collected.grads.keys()].sort(), [...whole.grads.keys()].sort());
      for (const [p, g] of whole.grads) assert.equal(bits(collected.grads.get(p)!), bits(g), `${p} collected`);
      assert.equal(tf.memory().numTensors, before, 'no tensor left behind');
    });
  }

  test('evaluation unit by unit gives evaluateSum', async () => {
    const model = buildModel(CNN);
    const params = initParams(model, 8);
    const x = Float32Array.from({ length: 5 * 72 }, (_, i) => Math.cos(i));
    const y = Int32Array.from([0, 1, 2, 1, 0]);
    const { hooks } = recordingHooks(model, params);
    const sums = await unitEvaluateSums(model, stepUnits(model), x, y, 5, hooks);
    const whole = evaluateSum(model, params, x, y, 5);
    assert.equal(sums.lossSum, whole.lossSum);
    assert.deepEqual(sums.metricSums, whole.metricSums);
  });

  test('an Embedding id out of range is one clear error, and nothing leaks', async () => {
    const model = buildModel(EMBEDDING);
    const params = initParams(model, 1);
    const { hooks, disposeHeld } = recordingHooks(model, params);
    const before = tf.memory().numTensors;
    await assert.rejects(
      unitStepSums(model, stepUnits(model), Float32Array.of(1, 2, 11), Int32Array.of(0), 1, hooks),
      /embedding "embedding": input id 11 at position 2 is outside \[0, 11\)/,
    );
    disposeHeld();
    assert.equal(tf.memory().numTensors, before);
  });
});
