// Keras's base-optimizer behaviour (docs/optimizer-contract.md: validation, state variables, accessors,
// the apply_gradients pipeline, minimize, serialization): validation texts, build, iterations,
// learning-rate rules, null gradients, KeyError, compute_gradients/minimize, weights, no tensor leak.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useCpuBackend } from '../../helpers/tf';
import { Adadelta, KeyError, RuntimeError, ValueError, schedules, setWarningHandler } from '../../../src/core';

const tf = await useCpuBackend();

function captureWarnings(): string[] {
  const seen: string[] = [];
  setWarningHandler((m) => seen.push(m));
  return seen;
}

test('constructor defaults are Keras defaults', () => {
  const opt = new Adadelta();
  assert.equal(opt.learningRate, Math.fround(0.001));
  assert.equal(opt.rho, 0.95);
  assert.equal(opt.epsilon, 1e-7);
  assert.equal(opt.name, 'Adadelta');
  assert.equal(opt.emaMomentum, 0.99);
  assert.equal(opt.iterations, 0);
});

test('base validation errors carry Keras texts, in Keras order', () => {
  assert.throws(() => new Adadelta({ useEma: true, emaMomentum: 1.5 }), {
    name: 'ValueError',
    message: '`ema_momentum` must be in the range [0, 1]. Received: ema_momentum=1.5',
  });
  assert.throws(() => new Adadelta({ useEma: true, emaOverwriteFrequency: 2.5 }), {
    message: '`ema_overwrite_frequency` must be an integer > 1 or None. Received: ema_overwrite_frequency=2.5',
  });
  assert.throws(() => new Adadelta({ clipnorm: 1, globalClipnorm: 2 }), {
    message: 'At most one of `clipnorm` and `global_clipnorm` can be set. Received: clipnorm=1, global_clipnorm=2.',
  });
  // EMA checks come first; frequency 1 and 0 are accepted despite the "> 1" wording.
  assert.throws(() => new Adadelta({ useEma: true, emaMomentum: -1, clipnorm: 1, globalClipnorm: 1 }), /ema_momentum/);
  new Adadelta({ useEma: true, emaOverwriteFrequency: 1 });
  new Adadelta({ useEma: true, emaOverwriteFrequency: 0 });
  assert.throws(() => new Adadelta({ bogus: 1 } as never), {
    name: 'TypeError',
    message: 'bogus is not a valid argument, kwargs should be empty  for `optimizer_experimental.Optimizer`.',
  });
});

test('learning rate setter: number assigns (float32), schedule replaces, number on a schedule is a TypeError', () => {
  const opt = new Adadelta({ learningRate: 0.1 });
  opt.learningRate = 0.3;
  assert.equal(opt.lr, Math.fround(0.3));
  opt.lr = 0.2;
  assert.equal(opt.learningRate, Math.fround(0.2));
  const sched = new Adadelta({
    learningRate: new schedules.ExponentialDecay({ initialLearningRate: 1, decaySteps: 1, decayRate: 0.5 }),
  });
  assert.throws(() => (sched.learningRate = 0.1), { name: 'TypeError', message: /created with a `LearningRateSchedule` object/ });
  sched.learningRate = new schedules.PiecewiseConstantDecay({ boundaries: [1], values: [0.5, 0.25] });
  assert.equal(sched.learningRate, 0.5);
});

test('iterations: settable before build (then counts on), RuntimeError after build; not moved by empty input', async () => {
  const v = tf.variable(tf.ones([2]));
  const opt = new Adadelta();
  opt.iterations = 2;
  assert.equal(await opt.applyGradients([[tf.ones([2]), v]]), 3);
  assert.throws(() => (opt.iterations = 5), RuntimeError);
  assert.equal(await opt.applyGradients([]), 3);
  assert.equal(opt.iterations, 3);
});

test('the schedule is evaluated before the update, and also on an empty call', async () => {
  const lr = new schedules.PiecewiseConstantDecay({ boundaries: [0, 1], values: [1, 0.5, 0.25] });
  const opt = new Adadelta({ learningRate: lr });
  opt.iterations = 2;
  await opt.applyGradients([]);
  assert.equal(opt.learningRate, 0.25);
});

test('build is one-shot; a variable not in the first build gets Keras KeyError', async () => {
  const a = tf.variable(tf.ones([2]), true, 'a');
  const b = tf.variable(tf.ones([2]), true, 'b');
  const opt = new Adadelta();
  opt.build([a]);
  opt.build([a, b]);
  assert.equal(opt.variables.length, 3); // iteration + two slots of a
  await assert.rejects(
    opt.applyGradients([[tf.ones([2]), b]]),
    (e: Error) => e instanceof KeyError && e.message.startsWith('The optimizer cannot recognize variable b. This usually means'),
  );
  assert.deepEqual(Array.from(b.dataSync()), [1, 1], 'nothing updated');
});

test('variables order and names: iteration, averages, then interleaved slots', () => {
  const a = tf.variable(tf.ones([2]), true, 'Variable');
  const b = tf.variable(tf.ones([3]), true, 'w');
  const opt = new Adadelta({ useEma: true });
  opt.build([a, b]);
  assert.deepEqual(
    opt.variables.map((v) => v.name),
    [
      'iteration',
      'Adadelta/average/Variable',
      'Adadelta/average/w',
      'Adadelta/accumulated_grad/Variable',
      'Adadelta/accumulated_delta_var/Variable',
      'Adadelta/accumulated_grad/w',
      'Adadelta/accumulated_delta_var/w',
    ],
  );
});

test('null gradients: warning names the variables; all null is a ValueError', async () => {
  const seen = captureWarnings();
  const a = tf.variable(tf.ones([2]), true, 'ga');
  const b = tf.variable(tf.ones([2]), true, 'gb');
  const opt = new Adadelta();
  await opt.applyGradients([
    [tf.ones([2]), a],
    [null, b],
  ]);
  assert.match(seen[0]!, /^Gradients do not exist for variables \['gb'\] when minimizing the loss/);
  await assert.rejects(
    opt.applyGradients([
      [null, a],
      [null, b],
    ]),
    {
      name: 'ValueError',
      message: /^No gradients provided for any variable: \(\['ga', 'gb'\],\)\. Provided `grads_and_vars` is/,
    },
  );
  assert.equal(opt.iterations, 1);
});

test('malformed grads_and_vars and wrong shapes are clear errors', async () => {
  const opt = new Adadelta();
  const v = tf.variable(tf.ones([2]));
  await assert.rejects(opt.applyGradients(5 as never), {
    name: 'TypeError',
    message: /must be a list of \(gradient, variable\) pairs/,
  });
  await assert.rejects(opt.applyGradients([[tf.ones([2])]] as never), {
    name: 'TypeError',
    message: /item 0 is an array of length 1/,
  });
  await assert.rejects(opt.applyGradients([[tf.ones([2]), 'x']] as never), {
    name: 'TypeError',
    message: /Expected a tf.Variable or a ShardedVariable/,
  });
  await assert.rejects(opt.applyGradients([[tf.ones([3]), v]]), {
    name: 'ValueError',
    message: /Gradient for variable .* has shape \[3\]/,
  });
});

test('computeGradients needs a function loss (Keras tape error text) and returns null for unused variables', async () => {
  const opt = new Adadelta();
  const used = tf.variable(tf.tensor1d([1, 2]));
  const unused = tf.variable(tf.tensor1d([3]));
  assert.throws(() => opt.computeGradients(tf.scalar(1), [used]), {
    name: 'ValueError',
    message: /^`tape` is required when a `Tensor` loss is passed\. Received: loss=<Tensor shape=\[\] dtype=float32>, tape=None\./,
  });
  const pairs = opt.computeGradients(() => tf.sum(tf.square(used)), [used, unused]);
  assert.deepEqual(Array.from(pairs[0]![0]!.dataSync()), [2, 4]);
  assert.equal(pairs[1]![0], null);
});

test("minimize on a tf.Variable: x=[1,2], loss Σx², lr .1 gives Keras values (not tfjs's)", async () => {
  const x = tf.variable(tf.tensor1d([1, 2]));
  const opt = new Adadelta({ learningRate: 0.1 });
  await opt.minimize(() => tf.sum(tf.square(x)), [x]);
  // Contract, "The Adadelta update step": Keras semantics give [0.999858558, 1.999858618] then
  // [0.999715328, 1.999715447] (tfjs gives 0.8, 1.6).
  assert.deepEqual(Array.from(x.dataSync()), Array.from(Float32Array.from([0.999858558, 1.999858618])));
  await opt.minimize(() => tf.sum(tf.square(x)), [x]);
  assert.deepEqual(Array.from(x.dataSync()), Array.from(Float32Array.from([0.999715328, 1.999715447])));
});

test('set_weights: unbuilt is a ValueError; shapes are checked; save → load → continue is exact', async () => {
  const opt = new Adadelta();
  assert.throws(() => opt.setWeights([0]), { message: /not yet been built/ });
  const makeRun = () => ({ v: tf.variable(tf.tensor1d([1, -1, 0.5])), opt: new Adadelta({ learningRate: 0.5 }) });
  const grad = (i: number) => tf.tensor1d([Math.sin(i), Math.cos(i), 0.1 * i]);
  const a = makeRun();
  for (let i = 0; i < 10; i++) await a.opt.applyGradients([[grad(i), a.v]]);
  const b = makeRun();
  b.opt.build([b.v]);
  assert.throws(() => b.opt.setWeights([1, new Float32Array(2)]), {
    message:
      'Optimizer variable Adadelta/accumulated_grad/' +
      b.v.name +
      ' has shape (3) not compatible with provided weight shape (2,).',
  });
  b.opt.setWeights(a.opt.getWeights());
  b.v.assign(a.v);
  for (let i = 10; i < 20; i++) {
    await a.opt.applyGradients([[grad(i), a.v]]);
    await b.opt.applyGradients([[grad(i), b.v]]);
    assert.deepEqual(Array.from(b.v.dataSync()), Array.from(a.v.dataSync()), `step ${i}`);
    assert.deepEqual(b.opt.getWeights().slice(1), a.opt.getWeights().slice(1));
  }
  assert.equal(b.opt.iterations, 20);
});

test('no tensor leak per step, dense and sparse, with clipping and EMA', async () => {
  const v = tf.variable(tf.ones([4, 3]));
  const opt = new Adadelta({ clipnorm: 0.5, useEma: true, emaOverwriteFrequency: 3 });
  const g = tf.ones([4, 3]);
  await opt.applyGradients([[g, v]]);
  const before = tf.memory().numTensors;
  for (let i = 0; i < 5; i++) await opt.applyGradients([[g, v]]);
  assert.equal(tf.memory().numTensors, before);
});

test('ValueError is exported for callers to catch', () => {
  assert.ok(new ValueError('x') instanceof Error);
});
