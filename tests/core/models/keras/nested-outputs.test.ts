// A nested Functional sub-model with two outputs inside a Functional model (hand-written Keras 3
// form configs): the layers after it take each output by its index (`["trunk", 0, k]`), the forward
// pass against a float64 reference, and a mask reaching the nested model refused in one line.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { useCpuBackend } from '../../../helpers/tf';
import { buildKerasModel, forward, initParams } from '../../../../src/core/models/index';

/** A layer as Keras 3 saves it: its call's arguments as `__keras_tensor__` histories. */
const layer = (className: string, name: string, config: object, inbound: [string, number][]) => ({
  class_name: className,
  config: { name, ...config },
  name,
  inbound_nodes: inbound.length
    ? [{ args: inbound.map(([n, k]) => ({ class_name: '__keras_tensor__', config: { keras_history: [n, 0, k] } })), kwargs: {} }]
    : [],
});

/** trunk(x) → [Dense 2 "t_a", Dense 3 "t_b"]; outer outputs p = Dense 1 of t_a, q = Dense 2 of t_b. */
function model(input: object, feed: object[], trunkIn: [string, number][]) {
  const trunk = {
    ...layer(
      'Functional',
      'trunk',
      {
        layers: [
          layer('InputLayer', 't_in', { batch_input_shape: [null, 3] }, []),
          layer('Dense', 't_a', { units: 2 }, [['t_in', 0]]),
          layer('Dense', 't_b', { units: 3, activation: 'tanh' }, [['t_in', 0]]),
        ],
        input_layers: [['t_in', 0, 0]],
        output_layers: [
          ['t_a', 0, 0],
          ['t_b', 0, 0],
        ],
      },
      trunkIn,
    ),
  };
  return {
    class_name: 'Functional',
    config: {
      name: 'outer',
      layers: [
        input,
        ...feed,
        trunk,
        layer('Dense', 'p', { units: 1 }, [['trunk', 0]]),
        layer('Dense', 'q', { units: 2 }, [['trunk', 1]]),
      ],
      input_layers: [[(input as { name: string }).name, 0, 0]],
      output_layers: [
        ['p', 0, 0],
        ['q', 0, 0],
      ],
    },
  };
}

before(async () => {
  await useCpuBackend();
});

test('a nested model with two outputs: each taken by its index, the forward pass as a float64 reference', () => {
  const m = buildKerasModel(model(layer('InputLayer', 'x', { batch_input_shape: [null, 3] }, []), [], [['x', 0]]), {
    loss: ['mse', 'mse'],
  });
  assert.deepEqual(
    m.params.map((p) => [p.path, p.shape]),
    [
      ['trunk/t_a/kernel', [3, 2]],
      ['trunk/t_a/bias', [2]],
      ['trunk/t_b/kernel', [3, 3]],
      ['trunk/t_b/bias', [3]],
      ['p/kernel', [2, 1]],
      ['p/bias', [1]],
      ['q/kernel', [3, 2]],
      ['q/bias', [2]],
    ],
  );
  const p = initParams(m, 5);
  // Non-zero biases, so that taking the wrong output would show.
  for (const [k, v] of p) if (k.endsWith('bias')) v.forEach((_, i) => (v[i] = 0.1 * (i + 1) * (k.startsWith('q') ? -1 : 1)));
  const x = Float32Array.from([0.5, -1, 2, 1.5, 0.25, -0.75]);
  const out = tf.tidy(() =>
    forward(
      m,
      new Map([...p].map(([k, v]) => [k, tf.tensor(v, m.params.find((q) => q.path === k)!.shape)])),
      tf.tensor(x, [2, 3]),
    ).dataSync(),
  );
  const dense = (v: number[], name: string, units: number, act = (z: number) => z) => {
    const W = p.get(`${name}/kernel`)!;
    const b = p.get(`${name}/bias`)!;
    return Array.from({ length: units }, (_, j) => act(v.reduce((a, xi, i) => a + xi * W[i * units + j]!, b[j]!)));
  };
  for (let n = 0; n < 2; n++) {
    const row = [...x.subarray(n * 3, n * 3 + 3)];
    const pOut = dense(dense(row, 'trunk/t_a', 2), 'p', 1);
    const qOut = dense(dense(row, 'trunk/t_b', 3, Math.tanh), 'q', 2);
    // Outputs packed by name: p's 1 value, then q's 2.
    [...pOut, ...qOut].forEach((v, j) =>
      assert.ok(Math.abs(out[n * 3 + j]! - v) < 1e-5, `row ${n} value ${j}: ${out[n * 3 + j]} vs ${v}`),
    );
  }
});

test('a mask reaching a nested model with several outputs is refused in one line', () => {
  const masked = model(
    layer('InputLayer', 'ids', { batch_input_shape: [null, 3], dtype: 'int32' }, []),
    [
      layer('Embedding', 'emb', { input_dim: 5, output_dim: 3, mask_zero: true }, [['ids', 0]]),
      layer('Dense', 'd', { units: 3 }, [['emb', 0]]),
    ],
    [['d', 0]],
  );
  // The trunk takes [3]-rows: make it take the embedded sequence's [3, 3] rows.
  (masked.config.layers[3] as { config: { layers: { config: object }[] } }).config.layers[0]!.config = {
    name: 't_in',
    batch_input_shape: [null, 3, 3],
  };
  assert.throws(
    () => buildKerasModel(masked, { loss: ['mse', 'mse'] }),
    (e: Error) =>
      /nested model "trunk" has several outputs and one of them carries a mask/.test(e.message) && !e.message.includes('\n'),
  );
});
