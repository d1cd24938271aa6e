// buildKerasModel on hand-written configs: tf.keras 2.x form, names/order/h5 places of parameters,
// one-line errors for what is not supported, and forward values against an independent float64 reference.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { useCpuBackend } from '../../../helpers/tf';
import {
  buildKerasModel,
  buildModel,
  evaluate,
  forward,
  initParams,
  lossAndGrads,
  parseModelJson,
} from '../../../../src/core/models/index';

/** What tf.keras 2.15's `model.to_json()` prints for a small Sequential (no module, batch_input_shape). */
const KERAS2_JSON = JSON.stringify({
  class_name: 'Sequential',
  config: {
    name: 'sequential',
    layers: [
      {
        class_name: 'InputLayer',
        config: { batch_input_shape: [null, 3], dtype: 'float32', sparse: false, ragged: false, name: 'input_1' },
      },
      {
        class_name: 'Dense',
        config: {
          name: 'dense',
          trainable: true,
          dtype: 'float32',
          units: 4,
          activation: 'tanh',
          use_bias: true,
          kernel_initializer: { class_name: 'GlorotUniform', config: { seed: null } },
          bias_initializer: { class_name: 'Zeros', config: {} },
          kernel_regularizer: null,
          bias_regularizer: null,
          activity_regularizer: null,
          kernel_constraint: null,
          bias_constraint: null,
        },
      },
      {
        class_name: 'LayerNormalization',
        config: {
          name: 'layer_normalization',
          axis: [1],
          epsilon: 0.001,
          center: true,
          scale: true,
          beta_initializer: { class_name: 'Zeros', config: {} },
          gamma_initializer: { class_name: 'Ones', config: {} },
        },
      },
      {
        class_name: 'Dense',
        config: {
          name: 'dense_1',
          units: 2,
          activation: 'softmax',
          use_bias: false,
          kernel_initializer: { class_name: 'RandomNormal', config: { mean: 0, stddev: 0.5 } },
        },
      },
    ],
  },
  keras_version: '2.15.0',
  backend: 'tensorflow',
});

/** A tf.keras 2.x Functional: Add of two Dense branches (2.x inbound_nodes are [[name, node, tensor, kwargs]]). */
const KERAS2_FUNCTIONAL = {
  class_name: 'Functional',
  config: {
    name: 'model',
    layers: [
      {
        class_name: 'InputLayer',
        config: { batch_input_shape: [null, 2], dtype: 'float32', name: 'x' },
        name: 'x',
        inbound_nodes: [],
      },
      { class_name: 'Dense', config: { name: 'a', units: 2, activation: 'relu' }, name: 'a', inbound_nodes: [[['x', 0, 0, {}]]] },
      {
        class_name: 'Dense',
        config: { name: 'b', units: 2, activation: 'linear' },
        name: 'b',
        inbound_nodes: [[['x', 0, 0, {}]]],
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
    ],
    input_layers: [['x', 0, 0]],
    output_layers: [['add', 0, 0]],
  },
};

describe('buildKerasModel', () => {
  before(async () => {
    await useCpuBackend();
  });

  test('tf.keras 2.x Sequential: shapes, Keras paths, weight order and h5 places', () => {
    const m = buildKerasModel(parseModelJson(KERAS2_JSON), { loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
    assert.deepEqual(m.inputShape, [3]);
    assert.deepEqual(m.outputShape, [2]);
    assert.deepEqual(
      m.params.map((p) => [p.path, p.shape, p.h5]),
      [
        ['dense/kernel', [3, 4], { layer: 'dense', index: 0 }],
        ['dense/bias', [4], { layer: 'dense', index: 1 }],
        ['layer_normalization/gamma', [4], { layer: 'layer_normalization', index: 0 }],
        ['layer_normalization/beta', [4], { layer: 'layer_normalization', index: 1 }],
        ['dense_1/kernel', [4, 2], { layer: 'dense_1', index: 0 }],
      ],
    );
    assert.equal(m.paramCount, 12 + 4 + 8 + 8);
    assert.deepEqual(m.metrics, ['accuracy']);
    const init = initParams(m, 7);
    assert.deepEqual([...init.get('layer_normalization/gamma')!], [1, 1, 1, 1], 'Ones');
    const k = init.get('dense/kernel')!;
    const limit = Math.sqrt(6 / (3 + 4));
    assert.ok(
      k.every((v) => Math.abs(v) <= limit) && new Set(k).size === k.length,
      'GlorotUniform within its limit, all distinct',
    );
  });

  test('forward pass equals a float64 reference (Dense tanh → LayerNormalization → Dense softmax)', () => {
    const m = buildKerasModel(parseModelJson(KERAS2_JSON), { loss: 'sparse_categorical_crossentropy' });
    const p = initParams(m, 3);
    const x = Float32Array.from([0.5, -1, 2, 1.5, 0.25, -0.75]);
    const out = tf.tidy(() =>
      forward(
        m,
        new Map([...p].map(([k, v]) => [k, tf.tensor(v, m.params.find((q) => q.path === k)!.shape)])),
        tf.tensor(x, [2, 3]),
      ).dataSync(),
    );
    const W = p.get('dense/kernel')!,
      b = p.get('dense/bias')!,
      g = p.get('layer_normalization/gamma')!,
      be = p.get('layer_normalization/beta')!,
      W2 = p.get('dense_1/kernel')!;
    for (let n = 0; n < 2; n++) {
      const h = [0, 1, 2, 3].map((j) => Math.tanh([0, 1, 2].reduce((a, i) => a + x[n * 3 + i]! * W[i * 4 + j]!, b[j]!)));
      const mean = h.reduce((a, v) => a + v, 0) / 4;
      const variance = h.reduce((a, v) => a + (v - mean) ** 2, 0) / 4;
      const ln = h.map((v, j) => ((v - mean) / Math.sqrt(variance + 1e-3)) * g[j]! + be[j]!);
      const logits = [0, 1].map((j) => ln.reduce((a, v, i) => a + v * W2[i * 2 + j]!, 0));
      const z = logits.map((l) => Math.exp(l - Math.max(...logits)));
      z.forEach((v, j) => assert.ok(Math.abs(out[n * 2 + j]! - v / (z[0]! + z[1]!)) < 1e-5, `softmax[${n},${j}]`));
    }
  });

  test("merges broadcast as Keras's: squeeze-excite's [h, w, c] × [1, 1, c] against a float64 reference", () => {
    const layer = (className: string, name: string, config: object, inbound: string[]) => ({
      class_name: className,
      config: { name, ...config },
      name,
      inbound_nodes: inbound.length ? [inbound.map((n) => [n, 0, 0, {}])] : [],
    });
    const graph = (other: object, merge: string) => ({
      class_name: 'Functional',
      config: {
        name: 'se',
        layers: [layer('InputLayer', 'x', { batch_input_shape: [null, 2, 2, 3] }, []), other, layer(merge, 'm', {}, ['x', 'o'])],
        input_layers: [['x', 0, 0]],
        output_layers: [['m', 0, 0]],
      },
    });
    const m = buildKerasModel(graph(layer('GlobalAveragePooling2D', 'o', { keepdims: true }, ['x']), 'Multiply'), {
      loss: 'mse',
    });
    assert.deepEqual(m.outputShape, [2, 2, 3]);
    const x = Float64Array.from({ length: 24 }, (_, i) => Math.sin(i + 1));
    const out = tf.tidy(() => forward(m, new Map(), tf.tensor(Float32Array.from(x), [2, 2, 2, 3])).dataSync());
    for (let n = 0; n < 2; n++)
      for (let c = 0; c < 3; c++) {
        const mean = [0, 1, 2, 3].reduce((a, p) => a + x[n * 12 + p * 3 + c]!, 0) / 4;
        for (let p = 0; p < 4; p++) {
          const at = n * 12 + p * 3 + c;
          assert.ok(Math.abs(out[at]! - x[at]! * mean) < 1e-6, `[${n}, ${p}, ${c}]: ${out[at]} vs ${x[at]! * mean}`);
        }
      }
    assert.throws(
      () => buildKerasModel(graph(layer('Dense', 'o', { units: 2 }, ['x']), 'Subtract'), { loss: 'mse' }),
      /layer "m" \(Subtract\): input shapes \[2,2,3\], \[2,2,2\] do not broadcast/,
    );
  });

  test('tf.keras 2.x Functional with Add; mse loss from a bare name', () => {
    const m = buildKerasModel(KERAS2_FUNCTIONAL, { loss: 'mse' });
    assert.deepEqual(
      m.params.map((p) => p.path),
      ['a/kernel', 'a/bias', 'b/kernel', 'b/bias'],
    );
    // Keras keys saved layers by class (dense, dense_1), not by name.
    assert.deepEqual(
      m.params.map((p) => `${p.h5!.layer}/vars/${p.h5!.index}`),
      ['dense/vars/0', 'dense/vars/1', 'dense_1/vars/0', 'dense_1/vars/1'],
    );
    assert.deepEqual(m.outputShape, [2]);
    const params = new Map(m.params.map((p) => [p.path, new Float32Array(p.shape.reduce((a, b) => a * b, 1))]));
    params.set('a/kernel', Float32Array.of(1, 0, 0, 1));
    params.set('b/kernel', Float32Array.of(2, 0, 0, 2));
    // relu(x) + 2x at x = [1, -1] → [3, -2]; mse against [0, 0] = (9 + 4) / 2
    assert.equal(evaluate(m, params, Float32Array.of(1, -1), Float32Array.of(0, 0), 1).loss, 6.5);
  });

  test('unsupported layers are one line naming every unsupported class, its layers and the supported list', () => {
    const json = {
      class_name: 'Sequential',
      config: {
        name: 's',
        layers: [
          { class_name: 'InputLayer', config: { batch_shape: [null, 4, 3, 3, 1], name: 'in' } },
          { class_name: 'Conv3D', config: { name: 'c3', filters: 2, kernel_size: 1 } },
          { class_name: 'ConvLSTM2D', config: { name: 'cl', filters: 2, kernel_size: 1 } },
          { class_name: 'Conv3D', config: { name: 'c3b', filters: 2, kernel_size: 1 } },
          { class_name: 'Flatten', config: { name: 'f' } },
        ],
      },
    };
    assert.throws(
      () => buildKerasModel(json, { loss: 'mse' }),
      (e: Error) => {
        assert.equal(e.message.split('\n').length, 1);
        assert.match(
          e.message,
          /2 classes are not supported: Conv3D \(c3, c3b\); ConvLSTM2D \(cl\)\. Supported layers: InputLayer, Dense, /,
        );
        assert.match(
          e.message,
          /BatchNormalization, .*LSTM, GRU, Bidirectional, MultiHeadAttention; keras\.applications: LayerScale/,
        );
        return true;
      },
    );
  });

  test('constraints, unsupported regularizers, losses and activations are refused, not ignored', () => {
    const withLayer = (layer: object) => ({
      class_name: 'Sequential',
      config: { name: 's', layers: [{ class_name: 'InputLayer', config: { batch_shape: [null, 2], name: 'in' } }, layer] },
    });
    assert.throws(
      () =>
        buildKerasModel(
          withLayer({
            class_name: 'Dense',
            config: { name: 'd', units: 1, kernel_constraint: { class_name: 'MaxNorm', config: { max_value: 2 } } },
          }),
          { loss: 'mse' },
        ),
      /layer "d" \(Dense\): kernel_constraint is not supported/,
    );
    assert.throws(
      () =>
        buildKerasModel(
          withLayer({
            class_name: 'Dense',
            config: {
              name: 'd',
              units: 1,
              kernel_regularizer: { class_name: 'OrthogonalRegularizer', config: { factor: 0.01 } },
            },
          }),
          { loss: 'mse' },
        ),
      /layer "d" kernel_regularizer: regularizer .*OrthogonalRegularizer.* is not supported \(L1, L2, L1L2\)/,
    );
    assert.throws(
      () =>
        buildKerasModel(withLayer({ class_name: 'Dense', config: { name: 'd', units: 1, activation: 'threshold' } }), {
          loss: 'mse',
        }),
      /activation "threshold" needs arguments/,
    );
    assert.throws(
      () =>
        buildKerasModel(withLayer({ class_name: 'Dense', config: { name: 'd', units: 1, activation: 'tanhh' } }), {
          loss: 'mse',
        }),
      /activation "tanhh" is not supported \(supported: linear, relu/,
    );
    assert.throws(
      () => buildKerasModel(withLayer({ class_name: 'Dense', config: { name: 'd', units: 1 } }), { loss: 'huber' }),
      /loss "huber" is not supported \(supported: SparseCategoricalCrossentropy/,
    );
    assert.throws(() => buildKerasModel(withLayer({ class_name: 'Dense', config: { name: 'd', units: 1 } })), /no loss/);
    // tfjs cannot differentiate a dilated convolution: refused when built, not failing at the first step.
    const image = {
      class_name: 'Sequential',
      config: {
        name: 's',
        layers: [
          { class_name: 'InputLayer', config: { batch_shape: [null, 6, 6, 1], name: 'in' } },
          { class_name: 'Conv2D', config: { name: 'c', filters: 1, kernel_size: 2, dilation_rate: [2, 2] } },
        ],
      },
    };
    assert.throws(
      () => buildKerasModel(image, { loss: 'mse' }),
      /layer "c" \(Conv2D\): dilation_rate \[2,2\] is not supported \(1 only\)/,
    );
  });

  test('the run config form "type": "keras" goes through buildModel; inputs that do not fit are one line', () => {
    const m = buildModel({
      type: 'keras',
      json: KERAS2_JSON,
      loss: { class_name: 'SparseCategoricalCrossentropy', config: { from_logits: false } },
    });
    assert.equal(m.keras?.head.kind, 'sparse_categorical_crossentropy');
    const params = initParams(m, 1);
    assert.throws(
      () => lossAndGrads(m, params, new Float32Array(8), Int32Array.of(0, 1), 2),
      /inputs: expected 6 values \(batch 2 × \[3\]\), got 8/,
    );
    assert.throws(() => buildModel({ type: 'keras', jsonPath: 'm.json' }), /was not read/);
    assert.throws(() => buildModel({ type: 'keras', json: '{"oops"' }), /keras model: not JSON/);
  });
});
