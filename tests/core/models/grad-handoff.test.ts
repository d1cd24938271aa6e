// The gradient hand-off strategies (grad-handoff.ts) a training step is given: collected after backward,
// or handed to a sink during it. Both report the same gradients, bit for bit, and match an independent
// float64 gradient written here; a sink that keeps a gradient elsewhere (returns null) leaves it out of
// the report; the embedding step, which reads the ids before the tape, refuses deferred fills.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { useCpuBackend } from '../../helpers/tf';
import { buildKerasModel, buildModel, initParams } from '../../../src/core/models/index';
import { paramTensors } from '../../../src/core/models/forward';
import { denseStep, type StepLoss } from '../../../src/core/models/dense-step';
import { embeddingStep } from '../../../src/core/models/embedding-step';
import { collectGrads, sinkGrads } from '../../../src/core/models/grad-handoff';
import { CopyMeter } from '../../../src/core/metering/copy-meter';

const copies = new CopyMeter();

await useCpuBackend();

// One linear layer, mse: loss = Σ_n Σ_j (x_n·W_j + b_j − y_nj)², so dW = Σ 2·r·x, db = Σ 2·r.
const model = buildModel({ type: 'mlp', input: [3], layers: [{ type: 'dense', units: 2 }], loss: 'mse' });
const X = [
  [0.5, -1, 2],
  [1, 0.25, -0.5],
];
const Y = [
  [1, -1],
  [0, 2],
];

function reference(params: Map<string, Float32Array>): Map<string, number[]> {
  const [kernel, bias] = model.params.map((p) => params.get(p.path)!);
  const dW = new Array<number>(6).fill(0);
  const db = [0, 0];
  X.forEach((x, n) => {
    for (let j = 0; j < 2; j++) {
      const r = x.reduce((s, xi, i) => s + xi * kernel![i * 2 + j]!, bias![j]!) - Y[n]![j]!;
      x.forEach((xi, i) => (dW[i * 2 + j]! += 2 * r * xi));
      db[j]! += 2 * r;
    }
  });
  return new Map([
    [model.params[0]!.path, dW],
    [model.params[1]!.path, db],
  ]);
}

function run(handOff: ReturnType<typeof collectGrads>) {
  const params = initParams(model, 3);
  const expected = reference(params);
  let grads = new Map<string, Float32Array>();
  tf.tidy(() => {
    const pt = paramTensors(model, params, handOff.fills);
    const x = tf.tensor(X.flat(), [2, 3]);
    const y = tf.tensor(Y.flat(), [2, 2]);
    const loss: StepLoss = { perExample: (out) => tf.sum(tf.square(tf.sub(out, y)), 1) };
    const step = denseStep(model, pt, x, { training: true }, loss, handOff);
    step.out.dispose();
    step.perExample.dispose();
    grads = step.grads;
  });
  return { grads, expected };
}

test('collected and sunk gradients are the same bits, and the float64 gradient', () => {
  const before = tf.memory().numTensors;
  const collected = run(collectGrads(copies));
  const order: string[] = [];
  const sunk = run(sinkGrads((path, view) => (order.push(path), Float32Array.from(view)), copies));
  assert.equal(tf.memory().numTensors, before, 'nothing leaks');
  assert.deepEqual(order.slice().sort(), model.params.map((p) => p.path).sort(), 'the sink gets each gradient once');
  for (const [path, expected] of collected.expected) {
    const c = collected.grads.get(path)!;
    assert.deepEqual(sunk.grads.get(path), c, `${path}: same bits`);
    expected.forEach((e, i) =>
      assert.ok(Math.abs(c[i]! - e) <= 1e-5 * Math.max(1, Math.abs(e)), `${path}[${i}]: ${c[i]} vs ${e}`),
    );
  }
});

test('a sink that keeps a gradient elsewhere (returns null) leaves it out of the report', () => {
  const kept = new Map<string, Float32Array>();
  const [kernel, bias] = model.params.map((p) => p.path);
  const { grads } = run(
    sinkGrads(
      (path, view) => (path === kernel ? (kept.set(path, Float32Array.from(view)), null) : Float32Array.from(view)),
      copies,
    ),
  );
  assert.deepEqual([...grads.keys()], [bias]);
  assert.equal(kept.get(kernel!)!.length, 6);
});

test('the embedding step refuses a hand-off that waits for deferred parameters', () => {
  const embedding = buildKerasModel(
    {
      class_name: 'Sequential',
      config: {
        name: 'seq',
        layers: [
          { class_name: 'InputLayer', config: { batch_shape: [null, 2], dtype: 'int32', name: 'ids' } },
          { class_name: 'Embedding', config: { name: 'embedding', input_dim: 4, output_dim: 2 } },
          { class_name: 'Flatten', config: { name: 'flatten' } },
          { class_name: 'Dense', config: { name: 'dense', units: 2 } },
        ],
      },
    },
    { loss: { class_name: 'MeanSquaredError', config: {} } },
  );
  const before = tf.memory().numTensors;
  assert.throws(
    () =>
      tf.tidy(() => {
        const pt = paramTensors(embedding, initParams(embedding, 1));
        const loss: StepLoss = { perExample: (out) => tf.sum(out, 1) };
        embeddingStep(
          embedding,
          pt,
          tf.tensor([[0, 3]]),
          { training: true, exampleOffset: 0 },
          loss,
          sinkGrads(() => null, copies),
        );
      }),
    /cannot wait for deferred parameters/,
  );
  assert.equal(tf.memory().numTensors, before);
});
