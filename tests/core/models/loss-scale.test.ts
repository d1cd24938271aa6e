// loss_scale_factor in the training step: the trainer passes the optimizer's scaleLoss, so the gradients
// are those of the scaled loss sum (the optimizer divides them again), while the reported loss is not scaled.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useCpuBackend } from '../../helpers/tf';
import { buildKerasModel, buildModel, initParams, lossAndGradsSum } from '../../../src/core/models/index';
import { Adadelta } from '../../../src/core';

await useCpuBackend();

test('lossAndGradsSum with scaleLoss: gradients × factor, loss sum unchanged', () => {
  const model = buildModel({
    type: 'mlp',
    input: [3],
    layers: [
      { type: 'dense', units: 4, activation: 'relu' },
      { type: 'dense', units: 2 },
    ],
    loss: 'softmax_cross_entropy',
  });
  const params = initParams(model, 5);
  const x = Float32Array.from([0.5, -1, 2, 1, 0.25, -0.5]);
  const y = Int32Array.from([1, 0]);
  const opt = new Adadelta({ lossScaleFactor: 8 });
  const plain = lossAndGradsSum(model, params, x, y, 2);
  const scaled = lossAndGradsSum(model, params, x, y, 2, { scaleLoss: (l) => opt.scaleLoss(l) });
  assert.equal(scaled.lossSum, plain.lossSum);
  for (const [path, g] of plain.grads) {
    const s = scaled.grads.get(path)!;
    assert.ok(
      g.some((v) => v !== 0),
      `${path} has a gradient`,
    );
    g.forEach((v, i) => assert.equal(s[i], v * 8, `${path}[${i}]`)); // 8 is a power of two: exact
  }
});

test('with Embedding tables too: dense and sparse gradients × factor, loss sum unchanged', () => {
  const model = buildKerasModel(
    {
      class_name: 'Sequential',
      config: {
        name: 'seq',
        layers: [
          { class_name: 'InputLayer', config: { batch_shape: [null, 3], dtype: 'int32', name: 'ids' } },
          { class_name: 'Embedding', config: { name: 'embedding', input_dim: 5, output_dim: 2 } },
          { class_name: 'Flatten', config: { name: 'flatten' } },
          { class_name: 'Dense', config: { name: 'dense', units: 3 } },
        ],
      },
    },
    { loss: { class_name: 'SparseCategoricalCrossentropy', config: { from_logits: true } } },
  );
  const params = initParams(model, 11);
  const x = Float32Array.of(0, 1, 1, 4, 1, 0, 2, 2, 2);
  const y = Int32Array.of(0, 2, 1);
  const opt = new Adadelta({ lossScaleFactor: 8 });
  const plain = lossAndGradsSum(model, params, x, y, 3);
  const scaled = lossAndGradsSum(model, params, x, y, 3, { scaleLoss: (l) => opt.scaleLoss(l) });
  assert.equal(scaled.lossSum, plain.lossSum);
  for (const [path, g] of plain.grads) {
    assert.ok(
      g.some((v) => v !== 0),
      `${path} has a gradient`,
    );
    g.forEach((v, i) => assert.equal(scaled.grads.get(path)![i], v * 8, `${path}[${i}]`));
  }
  const rows = plain.sparse!.get('embedding/embeddings')!;
  const scaledRows = scaled.sparse!.get('embedding/embeddings')!;
  assert.deepEqual([...scaledRows.rows], [...rows.rows]);
  assert.ok(rows.values.some((v) => v !== 0));
  rows.values.forEach((v, i) => assert.equal(scaledRows.values[i], v * 8, `embedding row value ${i}`));
});
