// Live Keras 3 (the venv .ci/run makes; skipped with the reason when absent): every config form we
// write loads through keras.optimizers.Adadelta.from_config and comes back equal, and Keras's numbers
// for gradient_accumulation_steps + loss_scale_factor (+ schedule, clipnorm, EMA) equal ours.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { useCpuBackend } from '../../helpers/tf';
import { seededValues } from '../../helpers/reference-adadelta';
import { pythonWithKeras } from '../../helpers/external';
import { Adadelta, schedules, type AdadeltaArgs } from '../../../src/core';

const tf = await useCpuBackend();
const py = pythonWithKeras();
const skip = 'reason' in py ? py.reason : false;
const SEED = Number(process.env.DTRAIN_TEST_SEED ?? 11);
console.log(`keras3-live: seed ${SEED} (set DTRAIN_TEST_SEED to change)${skip ? `; skipped: ${skip}` : ''}`);

function python(script: string, input: unknown): unknown {
  if ('reason' in py) throw new Error(py.reason);
  const run = spawnSync(py.python, ['-c', script], {
    input: JSON.stringify(input),
    encoding: 'utf8',
    env: { ...process.env, KERAS_BACKEND: 'jax', JAX_PLATFORMS: 'cpu' },
  });
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout.trim().split('\n').pop()!);
}

const SETTINGS: AdadeltaArgs[] = [
  {},
  { learningRate: 0.25, rho: 0.9, epsilon: 1e-6, clipnorm: 1 },
  {
    learningRate: new schedules.ExponentialDecay({ initialLearningRate: 0.1, decaySteps: 100, decayRate: 0.96, staircase: true }),
    globalClipnorm: 2,
  },
  {
    learningRate: new schedules.CosineDecay({
      initialLearningRate: 1,
      decaySteps: 50,
      alpha: 0.1,
      warmupTarget: 2,
      warmupSteps: 5,
    }),
    clipvalue: 0.5,
  },
  {
    learningRate: new schedules.PiecewiseConstantDecay({ boundaries: [10, 20], values: [1, 0.5, 0.1] }),
    useEma: true,
    emaMomentum: 0.9,
    emaOverwriteFrequency: 7,
  },
  {
    learningRate: new schedules.PolynomialDecay({ initialLearningRate: 1, decaySteps: 30, endLearningRate: 0.01, power: 2 }),
    gradientAccumulationSteps: 4,
    lossScaleFactor: 128,
    weightDecay: 0.01,
  },
  {
    learningRate: new schedules.InverseTimeDecay({ initialLearningRate: 1, decaySteps: 10, decayRate: 0.5 }),
    name: 'my_adadelta',
  },
  {
    learningRate: new schedules.CosineDecayRestarts({ initialLearningRate: 1, firstDecaySteps: 10 }),
    gradientAccumulationSteps: 2,
    useEma: true,
  },
];

test("every config we write loads through Keras 3's Adadelta.from_config and its get_config equals ours", { skip }, () => {
  const ours = SETTINGS.map((s) => new Adadelta(s).getConfig());
  const script = `
import sys, json, keras
out = [keras.optimizers.Adadelta.from_config(c).get_config() for c in json.load(sys.stdin)]
print(json.dumps(out))`;
  const theirs = python(script, ours) as Record<string, unknown>[];
  theirs.forEach((cfg, i) => {
    assert.deepEqual(Object.keys(cfg), Object.keys(ours[i]!), `setting ${i}: key order`);
    assert.deepEqual(cfg, ours[i], `setting ${i}`);
  });
});

test(
  "Keras 3's refusal of the keras2 flavour is why it is not the default (and the Keras 3 form reads back here)",
  { skip },
  () => {
    const keras2 = new Adadelta({ clipnorm: 1 }).getConfig({ flavour: 'keras2' });
    const script = `
import sys, json, keras
try:
    keras.optimizers.Adadelta.from_config(json.load(sys.stdin)); print(json.dumps('loaded'))
except ValueError as e:
    print(json.dumps(str(e)))`;
    assert.match(String(python(script, keras2)), /Argument\(s\) not recognized: .*jit_compile.*is_legacy_optimizer/);
    const fromKeras = python(
      `
import json, keras
print(json.dumps(keras.optimizers.Adadelta(learning_rate=0.5, gradient_accumulation_steps=3, loss_scale_factor=8.0, clipnorm=1.0).get_config()))`,
      null,
    ) as Record<string, unknown>;
    const opt = Adadelta.fromConfig(fromKeras);
    assert.equal(opt.gradientAccumulationSteps, 3);
    assert.equal(opt.lossScaleFactor, 8);
    assert.deepEqual(opt.getConfig(), fromKeras);
  },
);

test('gradient_accumulation_steps + loss_scale_factor: Keras 3 (JAX) and we reach the same values', { skip }, async () => {
  const x0 = seededValues(SEED, 5, -1, 1);
  const grads = Array.from({ length: 10 }, (_, t) => seededValues(SEED * 100 + t, 5, -30, 30));
  const script = `
import sys, json, numpy as np, keras
d = json.load(sys.stdin)
w = keras.Variable(np.array(d['x0'], dtype='float32'))
opt = keras.optimizers.Adadelta(learning_rate=keras.optimizers.schedules.ExponentialDecay(1.0, 4, 0.5), rho=0.9, epsilon=1e-6,
    clipnorm=0.8, gradient_accumulation_steps=3, loss_scale_factor=32.0, use_ema=True, ema_momentum=0.75, ema_overwrite_frequency=2)
out = []
for g in d['grads']:
    opt.apply([np.array(g, dtype='float32')], [w])
    out.append({'w': np.asarray(w.value).tolist(), 'iterations': int(opt.iterations), 'stored': int(opt._iterations)})
out.append({'scaled': float(opt.scale_loss(3.0))})
print(json.dumps(out))`;
  const keras = python(script, { x0, grads }) as ({ w: number[]; iterations: number; stored: number } & { scaled?: number })[];
  const opt = new Adadelta({
    learningRate: new schedules.ExponentialDecay({ initialLearningRate: 1, decaySteps: 4, decayRate: 0.5 }),
    rho: 0.9,
    epsilon: 1e-6,
    clipnorm: 0.8,
    gradientAccumulationSteps: 3,
    lossScaleFactor: 32,
    useEma: true,
    emaMomentum: 0.75,
    emaOverwriteFrequency: 2,
    emaFirstStep: 'keras3',
  });
  const w = tf.variable(tf.tensor1d(x0));
  for (let t = 0; t < grads.length; t++) {
    await opt.applyGradients([[tf.tensor1d(grads[t]!), w]]);
    const k = keras[t]!;
    assert.equal(opt.iterations, k.iterations, `call ${t}: iterations`);
    assert.equal(opt.callCount, k.stored, `call ${t}: stored iteration`);
    Array.from(w.dataSync()).forEach((x, i) =>
      assert.ok(Math.abs(x - k.w[i]!) <= 1e-6 * Math.max(1, Math.abs(k.w[i]!)), `call ${t} w[${i}]: ${x} vs Keras ${k.w[i]}`),
    );
  }
  assert.equal(opt.scaleLoss(3), keras[grads.length]!.scaled);
});
