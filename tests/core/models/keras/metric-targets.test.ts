// An output without a loss but with metrics (docs/keras-models.md, "Several inputs and outputs"): Keras
// computes the metrics against that output's targets, so they are packed beside the loss's targets,
// checked, and reported under Keras's names (<output>_<metric>); the loss is the other outputs' alone.
// Figures against float64 formulas written here; the forms whose targets cannot be told are one line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../../../../src/core/tfjs/backend';
import {
  checkPackedLabels,
  outputLossesOf,
  outputLossSums,
  outputMetricSums,
  packedLabelTensor,
  weightedPerExample,
} from '../../../../src/core/models/keras/output-losses';
import type { GraphEnd } from '../../../../src/core/models/keras/graph';
import { testSeed } from '../../../helpers/seed';
import { Rng } from '../../../../src/core/random/stream';

// Keras's order (priority, department, aux); packed outputs by name: aux, department ×4, priority ×2.
const ENDS: GraphEnd[] = [
  { name: 'priority', value: 'priority', shape: [2], offset: 5, size: 2 },
  { name: 'department', value: 'department', shape: [4], offset: 1, size: 4 },
  { name: 'aux', value: 'aux', shape: [1], offset: 0, size: 1 },
];

/** B examples: outputs [aux, department ×4, priority ×2]; targets by name [aux (0/1), class id, priority ×2]. */
function batch(rng: Rng, B: number) {
  const out = Array.from({ length: B }, () => Array.from({ length: 7 }, () => rng.nextGaussian()));
  const y = Array.from({ length: B }, () => [rng.nextInt(2), rng.nextInt(4), rng.nextGaussian(), rng.nextGaussian()]);
  const ref = out.map((o, b) => {
    const [auxT, cls, p0, p1] = y[b]!;
    const dep = o.slice(1, 5);
    return {
      mse: ((o[5]! - p0!) ** 2 + (o[6]! - p1!) ** 2) / 2,
      auxMae: Math.abs(o[0]! - auxT!),
      // Keras's BinaryAccuracy: y_pred > 0.5 against the 0/1 target.
      auxHit: (o[0]! > 0.5 ? 1 : 0) === auxT ? 1 : 0,
      depHit: dep.indexOf(Math.max(...dep)) === cls ? 1 : 0,
    };
  });
  return { out: Float32Array.from(out.flat()), y: Float32Array.from(y.flat()), ref };
}

test("metrics on outputs without a loss: their targets packed by name, figures as Keras names them, the loss the others' alone", async () => {
  await selectBackend(['cpu']);
  const rng = new Rng(testSeed('metric-targets'));
  const B = 6;
  const { out, y, ref } = batch(rng, B);
  const losses = outputLossesOf(
    {
      loss: ['mse', null, null],
      loss_weights: [2.0, 0.5, 0.5],
      metrics: { department: [{ class_name: 'SparseCategoricalAccuracy', config: { name: 'dep_acc' } }], aux: ['mae'] },
      weighted_metrics: { aux: ['accuracy'] },
    },
    ENDS,
  );
  assert.deepEqual(losses.unread, []);
  assert.deepEqual(
    losses.outputs.map((o) => o.end.name),
    ['priority'],
  );
  assert.deepEqual(
    losses.metricOnly.map((o) => [o.end.name, o.labelOffset, o.labelSize, o.weight]),
    [
      ['department', 1, 1, 0],
      ['aux', 0, 1, 0],
    ],
  );
  assert.equal(losses.labelWidth, 4);
  // One output with a loss: Keras reports `loss` alone, then every output's metrics in output order.
  assert.deepEqual(losses.figures, ['department_dep_acc', 'aux_mae', 'aux_accuracy']);
  tf.tidy(() => {
    const outT = tf.tensor(out, [B, 7]);
    const total = weightedPerExample(losses, outT, packedLabelTensor(losses, y, B)).dataSync();
    ref.forEach((r, b) => assert.ok(Math.abs(total[b]! - 2.0 * r.mse) <= 1e-5 * Math.max(1, r.mse), `example ${b}`));
    assert.deepEqual(outputLossSums(losses, outT, y, B), {});
  });
  const sums = outputMetricSums(losses, out, checkPackedLabels(losses, y, B), B);
  const sum = (f: (r: (typeof ref)[number]) => number) => ref.reduce((a, r) => a + f(r), 0);
  assert.deepEqual(Object.keys(sums).sort(), ['aux_accuracy', 'aux_mae', 'department_dep_acc']);
  assert.equal(
    sums.department_dep_acc,
    sum((r) => r.depHit),
  );
  assert.equal(
    sums.aux_accuracy,
    sum((r) => r.auxHit),
  );
  assert.ok(Math.abs(sums.aux_mae! - sum((r) => r.auxMae)) < 1e-5 * B, `aux_mae ${sums.aux_mae}`);
});

test("a metric-only output's targets are checked as a loss's are: a class id out of range is one line", () => {
  const losses = outputLossesOf({ loss: ['mse', null, null], metrics: { department: ['sparse_categorical_accuracy'] } }, ENDS);
  // Packed [class id, priority ×2] (aux: unread, not packed); class 4 of 4 classes.
  const y = Float32Array.from([1, 0.5, 0.5, 4, 0.1, 0.2]);
  assert.deepEqual(losses.unread, ['aux']);
  assert.throws(
    () => checkPackedLabels(losses, y, 2),
    (e: Error) => /labels\[1\] = 4: expected an integer class index in \[0, 4\)/.test(e.message),
  );
});

test("an output without a loss whose metrics cannot tell its targets' form is one line", () => {
  const refused: [Record<string, unknown>, RegExp][] = [
    [
      { loss: ['mse', null, null], metrics: { department: ['accuracy'] } },
      /output "department": metric "accuracy" on an output without a loss: Keras picks sparse or categorical accuracy by the targets' shape; name one/,
    ],
    [
      { loss: ['mse', null, null], metrics: { department: ['sparse_categorical_accuracy', 'categorical_accuracy'] } },
      /output "department": its metrics take targets of different forms \(sparse_categorical_crossentropy, categorical_crossentropy\)/,
    ],
    [
      { loss: ['mse', null, null], metrics: { department: ['sparse_categorical_accuracy', 'mae'] } },
      /output "department": its metrics take class indices and float targets at once/,
    ],
  ];
  for (const [compile, message] of refused)
    assert.throws(
      () => outputLossesOf(compile, ENDS),
      (e: Error) => message.test(e.message) && !e.message.includes('\n'),
      JSON.stringify(compile),
    );
});
