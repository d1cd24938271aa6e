// Values that depend only on the input's shape (keras.io's position ids,
// `ops.cumsum(ops.ones_like(ids), axis=1) - 1`) are made once per batch shape and reused by the steps
// after it: a second step of the same shape runs no OnesLike or Cumsum, a partial batch makes its own,
// and every step's loss equals a float64 reference of the model written here, its position table's
// sparse gradient rows are the positions 0…T−1 of every example, and the kept tensors do not grow.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../../../../src/core/tfjs';
import { buildKerasModel, initParams, lossAndGradsSum, type Model } from '../../../../src/core/models/index';
import { shapeOnlyNodes } from '../../../../src/core/models/keras/graph-constants';
import { seededRandom, testSeed } from '../../../helpers/seed';

const [T, VOCAB, DIM, CLASSES] = [6, 10, 4, 3];
const ref = (name: string, shape: (number | null)[] = [null, T]) => ({
  class_name: '__keras_tensor__',
  config: { shape, dtype: 'int32', keras_history: [name, 0, 0] },
});
const node = (class_name: string, name: string, config: object, args: unknown[], module = 'keras.layers') => ({
  module,
  class_name,
  name,
  config: { name, ...config },
  inbound_nodes: [{ args, kwargs: {} }],
});
const op = (class_name: string, name: string, config: object, args: unknown[]) =>
  node(class_name, name, config, args, 'keras.src.ops.numpy');
const embedding = (name: string, input_dim: number, from: string) =>
  node(
    'Embedding',
    name,
    {
      input_dim,
      output_dim: DIM,
      embeddings_initializer: { class_name: 'RandomUniform', config: { minval: -0.05, maxval: 0.05 } },
    },
    [ref(from)],
  );

/** What Keras 3.15 saves for keras.io's position ids (model.to_json(), the defaults left out). */
const POSITIONS = {
  class_name: 'Functional',
  config: {
    name: 'positions',
    layers: [
      {
        class_name: 'InputLayer',
        name: 'ids',
        config: { batch_shape: [null, T], dtype: 'int32', name: 'ids' },
        inbound_nodes: [],
      },
      op('OnesLike', 'ones_like', { dtype: null }, [ref('ids')]),
      op('Cumsum', 'cumsum', { axis: 1, dtype: null }, [ref('ones_like')]),
      op('Subtract', 'subtract', {}, [ref('cumsum'), 1]),
      embedding('tokens', VOCAB, 'ids'),
      embedding('places', T, 'subtract'),
      op('Add', 'add', {}, [ref('tokens', [null, T, DIM]), ref('places', [null, T, DIM])]),
      node('GlobalAveragePooling1D', 'pool', { data_format: 'channels_last', keepdims: false }, [ref('add', [null, T, DIM])]),
      node('Dense', 'out', { units: CLASSES, activation: 'softmax', use_bias: true }, [ref('pool', [null, DIM])]),
    ],
    input_layers: [['ids', 0, 0]],
    output_layers: [['out', 0, 0]],
  },
};

/** Σ over examples of −log softmax(W·mean_t(tokens[id_t] + places[t]) + b)[label], in float64. */
function referenceLossSum(params: Map<string, Float32Array>, ids: Float32Array, labels: Int32Array): number {
  const [tok, place, w, b] = ['tokens/embeddings', 'places/embeddings', 'out/kernel', 'out/bias'].map((k) => params.get(k)!);
  let total = 0;
  for (let e = 0; e < labels.length; e++) {
    const mean = new Float64Array(DIM);
    for (let t = 0; t < T; t++)
      for (let d = 0; d < DIM; d++) mean[d]! += (tok![ids[e * T + t]! * DIM + d]! + place![t * DIM + d]!) / T;
    const z = Array.from({ length: CLASSES }, (_, c) => b![c]! + mean.reduce((a, v, d) => a + v * w![d * CLASSES + c]!, 0));
    const m = Math.max(...z);
    const lse = m + Math.log(z.reduce((a, v) => a + Math.exp(v - m), 0));
    total += lse - z[labels[e]!]!;
  }
  return total;
}

describe('values depending only on the input shape (position ids)', () => {
  let model: Model;
  before(async () => {
    await selectBackend(['wasm']);
    model = buildKerasModel(POSITIONS, { loss: 'sparse_categorical_crossentropy' });
  });

  test('found: the OnesLike and the ops after it, nothing else', () => {
    assert.deepEqual([...shapeOnlyNodes(model.keras!.graph.nodes)].sort(), ['cumsum', 'ones_like', 'subtract']);
  });

  test('made once per batch shape, right for every shape, the kept tensors bounded', async () => {
    const params = initParams(model, 3);
    const rand = seededRandom(testSeed('position ids'));
    const batch = (n: number) => ({
      ids: Float32Array.from({ length: n * T }, () => Math.floor(rand() * VOCAB)),
      labels: Int32Array.from({ length: n }, () => Math.floor(rand() * CLASSES)),
    });
    const step = async (n: number) => {
      const { ids, labels } = batch(n);
      let sums: ReturnType<typeof lossAndGradsSum> | undefined;
      const p = await tf.profile(() => {
        sums = lossAndGradsSum(model, params, ids, labels, n);
      });
      if (!sums) throw new Error('no step result');
      const want = referenceLossSum(params, ids, labels);
      assert.ok(Math.abs(sums!.lossSum - want) <= 1e-5 * (1 + Math.abs(want)), `batch ${n}: loss ${sums!.lossSum} vs ${want}`);
      const rows = [...sums!.sparse!.get('places/embeddings')!.rows];
      assert.deepEqual(
        rows,
        Array.from({ length: n * T }, (_, i) => i % T),
        `batch ${n}: the position rows`,
      );
      return p.kernels.map((k) => k.name).filter((k) => k === 'OnesLike' || k === 'Cumsum');
    };
    assert.deepEqual(await step(4), ['OnesLike', 'Cumsum'], 'the first step makes them, once');
    const kept = tf.memory().numTensors;
    assert.deepEqual(await step(4), [], 'the same shape reuses them');
    assert.deepEqual(await step(4), []);
    assert.equal(tf.memory().numTensors, kept, 'no tensor added by the steps that reuse them');
    assert.deepEqual(await step(3), ['OnesLike', 'Cumsum'], 'a partial batch makes its own');
    assert.equal(tf.memory().numTensors, kept, "the partial batch's replace the full batch's");
    assert.deepEqual(await step(4), ['OnesLike', 'Cumsum'], 'and the full batch after it its own again');
  });
});
