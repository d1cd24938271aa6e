// A model with several outputs: compile_config's loss, loss_weights and metrics read in each form Keras 3
// accepts (docs/keras-models.md, "Several inputs and outputs"), the weighted loss and the per-output figures against
// float64 formulas written here, and the forms Keras refuses refused in one line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../../../../src/core/tfjs/backend';
import {
  outputLossesOf,
  outputLossSums,
  outputMetricSums,
  packedLabelTensor,
  weightedPerExample,
} from '../../../../src/core/models/keras/output-losses';
import type { GraphEnd } from '../../../../src/core/models/keras/graph';
import { buildKerasModel } from '../../../../src/core/models/index';
import { metricSums } from '../../../../src/core/models/losses';
import { testSeed } from '../../../helpers/seed';
import { Rng } from '../../../../src/core/random/stream';

// Keras's order is (priority, department); packed rows hold them by name: department's 4 logits, then priority's 2.
const ENDS: GraphEnd[] = [
  { name: 'priority', value: 'priority', shape: [2], offset: 4, size: 2 },
  { name: 'department', value: 'department', shape: [4], offset: 0, size: 4 },
];
const SCCE = { class_name: 'SparseCategoricalCrossentropy', config: { from_logits: true } };

const logSoftmax = (r: number[]) => {
  const m = Math.max(...r);
  const lse = m + Math.log(r.reduce((a, v) => a + Math.exp(v - m), 0));
  return r.map((v) => v - lse);
};

/** B examples: packed outputs [department logits ×4, priority ×2], packed targets [class id, priority ×2]. */
function batch(rng: Rng, B: number) {
  const out = Array.from({ length: B }, () => Array.from({ length: 6 }, () => rng.nextGaussian()));
  const y = Array.from({ length: B }, () => [rng.nextInt(4), rng.nextGaussian(), rng.nextGaussian()]);
  const ref = out.map((o, b) => {
    const cls = -logSoftmax(o.slice(0, 4))[y[b]![0]!]!;
    const mse = ((o[4]! - y[b]![1]!) ** 2 + (o[5]! - y[b]![2]!) ** 2) / 2;
    const mae = (Math.abs(o[4]! - y[b]![1]!) + Math.abs(o[5]! - y[b]![2]!)) / 2;
    const hit = o.slice(0, 4).indexOf(Math.max(...o.slice(0, 4))) === y[b]![0] ? 1 : 0;
    return { cls, mse, mae, hit };
  });
  return { out: Float32Array.from(out.flat()), y: Float32Array.from(y.flat()), ref };
}

test('every form Keras reads gives the same losses, weights and Keras-named figures', async () => {
  await selectBackend(['cpu']);
  const rng = new Rng(testSeed('output-losses'));
  const B = 5;
  const { out, y, ref } = batch(rng, B);
  const forms: Record<string, unknown>[] = [
    {
      loss: { department: SCCE, priority: 'mse' },
      loss_weights: { department: 0.7, priority: 2.0 },
      metrics: { department: ['accuracy'], priority: ['mae'] },
    },
    { loss: ['mse', SCCE], loss_weights: [2.0, 0.7], metrics: [['mae'], 'accuracy'] },
  ];
  for (const compile of forms) {
    const losses = outputLossesOf(compile, ENDS);
    assert.deepEqual(losses.figures, ['priority_loss', 'department_loss', 'priority_mae', 'department_accuracy']);
    assert.equal(losses.labelWidth, 3);
    tf.tidy(() => {
      const outT = tf.tensor(out, [B, 6]);
      const yT = packedLabelTensor(losses, y, B);
      const total = weightedPerExample(losses, outT, yT).dataSync();
      ref.forEach((r, b) => {
        const want = 0.7 * r.cls + 2.0 * r.mse;
        assert.ok(
          Math.abs(total[b]! - want) <= 1e-5 * Math.max(1, want),
          `${JSON.stringify(compile.loss)}: example ${b} ${total[b]} vs ${want}`,
        );
      });
      const sums = outputLossSums(losses, outT, y, B);
      const sum = (f: (r: (typeof ref)[number]) => number) => ref.reduce((a, r) => a + f(r), 0);
      assert.ok(Math.abs(sums.department_loss! - sum((r) => r.cls)) < 1e-5 * B, 'department_loss is unweighted');
      assert.ok(Math.abs(sums.priority_loss! - sum((r) => r.mse)) < 1e-5 * B, 'priority_loss is unweighted');
      const metrics = outputMetricSums(losses, out, y, B);
      assert.equal(
        metrics.department_accuracy,
        sum((r) => r.hit),
      );
      assert.ok(Math.abs(metrics.priority_mae! - sum((r) => r.mae)) < 1e-5 * B);
    });
  }
});

test('one loss serves every output; loss_weights default to 1', () => {
  const losses = outputLossesOf({ loss: 'mse' }, [
    { name: 'a', value: 'a', shape: [3], offset: 0, size: 3 },
    { name: 'b', value: 'b', shape: [1], offset: 3, size: 1 },
  ]);
  assert.deepEqual(
    losses.outputs.map((o) => [o.end.name, o.head.kind, o.weight]),
    [
      ['a', 'mean_squared_error', 1],
      ['b', 'mean_squared_error', 1],
    ],
  );
  assert.deepEqual(losses.figures, ['a_loss', 'b_loss']);
});

test('the forms Keras refuses are one line naming the problem', () => {
  const refused: [Record<string, unknown>, RegExp][] = [
    [
      { loss: { departmnt: SCCE, priority: 'mse' } },
      /loss names "departmnt", which is not an output of the model \(did you mean "department"\?\)/,
    ],
    [{ loss: ['mse'] }, /loss lists 1 entries for 2 outputs \(priority, department\)/],
    [{ loss: 'mse', loss_weights: [1, 2, 3] }, /loss_weights lists 3 entries for 2 outputs/],
    [{ loss: 'mse', metrics: ['mae'] }, /metrics lists 1 entries for 2 outputs \(priority, department\)/],
    [
      { loss: 'mse', metrics: 'mae' },
      /metrics "mae": a model with 2 outputs takes a list with one entry per output or a dict by output name/,
    ],
    [{}, /no loss: give the model a compile_config with a loss/],
    [
      { loss: { priority: 'mse' } },
      /loss gives output "department" no entry: Keras 3 needs a loss dict to name every output of a model whose outputs are a list \(give "department": null/,
    ],
    [{ loss: [null, null] }, /gives no output a loss: there is nothing to train/],
    [{ loss: 'mse', weighted_metrics: ['mae'] }, /weighted_metrics lists 1 entries for 2 outputs \(priority, department\)/],
    [{ loss: { priority: 'mse', department: 'hinge' } }, /output "department": loss "hinge" is not supported/],
  ];
  for (const [compile, message] of refused)
    assert.throws(
      () => outputLossesOf(compile, ENDS),
      (e: Error) => message.test(e.message) && !e.message.includes('\n'),
      JSON.stringify(compile),
    );
});

test('an output without a loss adds nothing, takes no targets, and gives no <output>_loss (Keras reports only loss then)', async () => {
  await selectBackend(['cpu']);
  const rng = new Rng(testSeed('output-losses-unlossed'));
  const B = 4;
  const { out, y, ref } = batch(rng, B);
  // Only priority's targets are packed: drop the class id column.
  const yPriority = Float32Array.from({ length: B * 2 }, (_, i) => y[Math.floor(i / 2) * 3 + 1 + (i % 2)]!);
  const forms: [Record<string, unknown>, boolean][] = [
    [{ loss: ['mse', null], loss_weights: [2.0, 0.7] }, false],
    [{ loss: { priority: 'mse', department: null }, loss_weights: { priority: 2.0 } }, false],
    [{ loss: { priority: 'mse' }, loss_weights: [2.0, 0.7] }, true], // a model whose outputs are a dict
  ];
  for (const [compile, byName] of forms) {
    const losses = outputLossesOf(compile, ENDS, byName);
    assert.deepEqual(losses.unread, ['department']);
    assert.deepEqual(losses.metricOnly, []);
    assert.deepEqual(
      losses.outputs.map((o) => o.end.name),
      ['priority'],
    );
    assert.deepEqual(losses.figures, []);
    assert.equal(losses.labelWidth, 2);
    tf.tidy(() => {
      const outT = tf.tensor(out, [B, 6]);
      const total = weightedPerExample(losses, outT, packedLabelTensor(losses, yPriority, B)).dataSync();
      ref.forEach((r, b) =>
        assert.ok(Math.abs(total[b]! - 2.0 * r.mse) <= 1e-5 * Math.max(1, r.mse), `${JSON.stringify(compile)}: example ${b}`),
      );
      assert.deepEqual(outputLossSums(losses, outT, yPriority, B), {});
    });
  }
});

test('weighted_metrics are read as Keras names them: <output>_<metric>, or <output>_weighted_<metric> when taken', async () => {
  await selectBackend(['cpu']);
  const rng = new Rng(testSeed('output-losses-weighted'));
  const B = 6;
  const { out, y, ref } = batch(rng, B);
  const losses = outputLossesOf(
    {
      loss: ['mse', SCCE],
      metrics: { priority: ['mae'] },
      weighted_metrics: { priority: ['mae'], department: ['accuracy'] },
    },
    ENDS,
  );
  assert.deepEqual(losses.figures, [
    'priority_loss',
    'department_loss',
    'priority_mae',
    'priority_weighted_mae',
    'department_accuracy',
  ]);
  const sums = outputMetricSums(losses, out, y, B);
  const sum = (f: (r: (typeof ref)[number]) => number) => ref.reduce((a, r) => a + f(r), 0);
  assert.ok(Math.abs(sums.priority_mae! - sum((r) => r.mae)) < 1e-5 * B);
  // Without sample weights a weighted metric is the plain one.
  assert.ok(Math.abs(sums.priority_weighted_mae! - sum((r) => r.mae)) < 1e-5 * B);
  assert.equal(
    sums.department_accuracy,
    sum((r) => r.hit),
  );
});

test('one output: weighted_metrics beside metrics (a list, or a dict by the output name) report as weighted_<metric>', async () => {
  await selectBackend(['cpu']);
  const config = {
    class_name: 'Functional',
    config: {
      name: 'one',
      layers: [
        { class_name: 'InputLayer', config: { batch_input_shape: [null, 4], name: 'x' }, name: 'x', inbound_nodes: [] },
        { class_name: 'Dense', config: { name: 'out', units: 4 }, name: 'out', inbound_nodes: [[['x', 0, 0, {}]]] },
      ],
      input_layers: [['x', 0, 0]],
      output_layers: [['out', 0, 0]],
    },
  };
  const rng = new Rng(testSeed('output-losses-one-weighted'));
  const B = 6;
  const out = Float32Array.from({ length: B * 4 }, () => rng.nextGaussian());
  const y = Int32Array.from({ length: B }, () => rng.nextInt(4));
  const hits = [...y].filter((c, b) => {
    const row = [...out.subarray(b * 4, b * 4 + 4)];
    return row.indexOf(Math.max(...row)) === c;
  }).length;
  for (const [metrics, weighted] of [
    [['accuracy'], ['accuracy']],
    [{ out: ['accuracy'] }, { out: ['accuracy'] }],
  ]) {
    const m = buildKerasModel(config, { loss: SCCE, metrics, weighted_metrics: weighted });
    assert.deepEqual(m.metrics, ['accuracy', 'weighted_accuracy'], JSON.stringify(weighted));
    assert.deepEqual(metricSums(m, out, y, B), { accuracy: hits, weighted_accuracy: hits });
  }
});
