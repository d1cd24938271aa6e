// get_config / from_config (docs/optimizer-contract.md, "Serialization" and "Constructor validation"):
// Keras key order, float32 learning rate, both schedule dict forms, configs exactly as Python Keras
// writes them, and Keras's handling of leftover kwargs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useCpuBackend } from '../../helpers/tf';
import { Adadelta, Mesh, schedules, setWarningHandler } from '../../../src/core';

await useCpuBackend();

test('getConfig keras2 flavour has tf.keras 2.x keys in Keras order, float32 learning rate, is_legacy_optimizer false', () => {
  const config = new Adadelta({ jitCompile: false }).getConfig({ flavour: 'keras2' });
  assert.deepEqual(Object.keys(config), [
    'name',
    'weight_decay',
    'clipnorm',
    'global_clipnorm',
    'clipvalue',
    'use_ema',
    'ema_momentum',
    'ema_overwrite_frequency',
    'jit_compile',
    'is_legacy_optimizer',
    'learning_rate',
    'rho',
    'epsilon',
  ]);
  assert.equal(config.learning_rate, 0.0010000000474974513);
  assert.equal(config.is_legacy_optimizer, false);
  assert.equal(config.jit_compile, false);
  assert.equal(config.rho, 0.95);
  assert.equal(config.epsilon, 1e-7);
});

test('a config written by Python Keras 2.13 (schedule learning rate) loads, and round-trips', () => {
  // json.dumps(tf.keras.optimizers.Adadelta(learning_rate=ExponentialDecay(0.1, 1000, 0.96), clipnorm=1.0).get_config())
  const python = JSON.parse(`{"name": "Adadelta", "weight_decay": null, "clipnorm": 1.0, "global_clipnorm": null,
    "clipvalue": null, "use_ema": false, "ema_momentum": 0.99, "ema_overwrite_frequency": null, "jit_compile": false,
    "is_legacy_optimizer": false, "learning_rate": {"module": "keras.optimizers.schedules", "class_name": "ExponentialDecay",
    "config": {"initial_learning_rate": 0.1, "decay_steps": 1000, "decay_rate": 0.96, "staircase": false, "name": null},
    "registered_name": null}, "rho": 0.95, "epsilon": 1e-07}`);
  const opt = Adadelta.fromConfig(python);
  assert.ok(opt.learningRateSchedule instanceof schedules.ExponentialDecay);
  assert.equal(opt.clipnorm, 1);
  assert.equal(opt.learningRate, Math.fround(0.1));
  const again = opt.getConfig({ flavour: 'keras2' });
  again.jit_compile = false;
  assert.deepEqual(again, python);
});

test('a Keras 2.11 config (legacy schedule dict) loads; our legacy output has no module keys', () => {
  const legacy = {
    name: 'Adadelta',
    weight_decay: null,
    clipnorm: null,
    global_clipnorm: null,
    clipvalue: 0.5,
    use_ema: true,
    ema_momentum: 0.9,
    ema_overwrite_frequency: 10,
    jit_compile: true,
    is_legacy_optimizer: false,
    learning_rate: { class_name: 'PiecewiseConstantDecay', config: { boundaries: [10], values: [1, 0.5], name: null } },
    rho: 0.9,
    epsilon: 1e-6,
  };
  const opt = Adadelta.fromConfig(legacy);
  assert.equal(opt.clipvalue, 0.5);
  assert.equal(opt.emaOverwriteFrequency, 10);
  assert.deepEqual(opt.getConfig({ flavour: 'keras2', scheduleFormat: 'legacy' }).learning_rate, legacy.learning_rate);
});

test('float learning rate round trip: 0.001 is written as its float32 value and reads back the same', () => {
  const opt = Adadelta.fromConfig(new Adadelta({ learningRate: 0.001, rho: 0.8 }).getConfig());
  assert.equal(opt.learningRate, Math.fround(0.001));
  assert.equal(opt.rho, 0.8);
});

test("fromConfig keeps the mesh (DTensor's Gen-2 loses it; we take it as an argument)", () => {
  const mesh = Mesh.parse('batch=2');
  const opt = Adadelta.fromConfig(new Adadelta().getConfig(), { mesh });
  assert.equal(opt.mesh, mesh);
  assert.ok(!('mesh' in opt.getConfig()));
});

test('leftover kwargs: lr is ignored with a warning, decay is a ValueError, unknown keys a TypeError', () => {
  const seen: string[] = [];
  setWarningHandler((m) => seen.push(m));
  const opt = Adadelta.fromConfig({ learning_rate: 0.5, lr: 0.1 });
  assert.equal(opt.learningRate, 0.5);
  assert.match(seen[0]!, /`lr` is deprecated/);
  assert.throws(() => Adadelta.fromConfig({ decay: 0.1 }), {
    name: 'ValueError',
    message:
      'decay is deprecated in the new Keras optimizer, please check the docstring for valid arguments, or use the legacy optimizer, e.g., tf.keras.optimizers.legacy.Adadelta.',
  });
  assert.throws(() => Adadelta.fromConfig({ momentum: 0.1 }), {
    name: 'TypeError',
    message: 'momentum is not a valid argument, kwargs should be empty  for `optimizer_experimental.Optimizer`.',
  });
  assert.throws(() => Adadelta.fromConfig({ clipnorm: 1, global_clipnorm: 1 }), {
    name: 'ValueError',
    message: /At most one of/,
  });
  assert.throws(() => Adadelta.fromConfig('nope' as never), { name: 'TypeError', message: /must be an object/ });
  assert.throws(() => Adadelta.fromConfig({ epsilon: null }), {
    name: 'ValueError',
    message: /`epsilon` must be a finite number/,
  });
  // Gen-1 DTensor constructor options are accepted and ignored, as that constructor does.
  Adadelta.fromConfig({ gradients_clip_option: null, ema_option: null, is_legacy_optimizer: false });
});

// json.dumps(keras.optimizers.Adadelta(learning_rate=CosineDecay(1.0, 100, warmup_steps=5, warmup_target=2.0)).get_config()), Keras 3.15.1
const KERAS3 = `{"name": "adadelta_1", "learning_rate": {"module": "keras.optimizers.schedules", "class_name": "CosineDecay", "config": {"initial_learning_rate": 1.0, "decay_steps": 100, "alpha": 0.0, "name": "CosineDecay", "warmup_target": 2.0, "warmup_steps": 5}, "registered_name": null}, "weight_decay": null, "clipnorm": null, "global_clipnorm": null, "clipvalue": null, "use_ema": false, "ema_momentum": 0.99, "ema_overwrite_frequency": null, "loss_scale_factor": null, "gradient_accumulation_steps": null, "rho": 0.95, "epsilon": 1e-07}`;

test("getConfig() defaults to Keras 3's key set and order; a Keras 3 config round-trips exactly", () => {
  assert.deepEqual(Object.keys(new Adadelta().getConfig()), [
    'name',
    'learning_rate',
    'weight_decay',
    'clipnorm',
    'global_clipnorm',
    'clipvalue',
    'use_ema',
    'ema_momentum',
    'ema_overwrite_frequency',
    'loss_scale_factor',
    'gradient_accumulation_steps',
    'rho',
    'epsilon',
  ]);
  const python = JSON.parse(KERAS3);
  const opt = Adadelta.fromConfig(python);
  assert.ok(opt.learningRateSchedule instanceof schedules.CosineDecay);
  assert.deepEqual(opt.getConfig(), python);
  const accumulating = { ...python, learning_rate: 0.5, gradient_accumulation_steps: 4, loss_scale_factor: 256 };
  assert.deepEqual(Adadelta.fromConfig(accumulating).getConfig(), accumulating);
});

test('the three forms in, both flavours out: 2.11/2.12 and 2.13–2.15 configs write as Keras 3 and back', () => {
  const legacy = {
    name: 'Adadelta',
    weight_decay: null,
    clipnorm: 1.0,
    global_clipnorm: null,
    clipvalue: null,
    use_ema: true,
    ema_momentum: 0.9,
    ema_overwrite_frequency: 5,
    jit_compile: false,
    is_legacy_optimizer: false,
    learning_rate: {
      class_name: 'ExponentialDecay',
      config: { initial_learning_rate: 0.1, decay_steps: 10, decay_rate: 0.5, staircase: false, name: null },
    },
    rho: 0.9,
    epsilon: 1e-6,
  };
  const keras213 = {
    ...legacy,
    learning_rate: { module: 'keras.optimizers.schedules', ...legacy.learning_rate, registered_name: null },
  };
  for (const input of [legacy, keras213]) {
    const k3 = Adadelta.fromConfig(input).getConfig();
    assert.ok(!('jit_compile' in k3) && !('is_legacy_optimizer' in k3));
    assert.equal(k3.loss_scale_factor, null);
    assert.equal(k3.gradient_accumulation_steps, null);
    assert.deepEqual((k3.learning_rate as { module: string }).module, 'keras.optimizers.schedules');
    const back = Adadelta.fromConfig(k3).getConfig({ flavour: 'keras2' });
    back.jit_compile = false;
    assert.deepEqual(back, keras213);
    const legacyBack = Adadelta.fromConfig(k3).getConfig({ flavour: 'keras2', scheduleFormat: 'legacy' });
    legacyBack.jit_compile = false;
    assert.deepEqual(legacyBack, legacy);
  }
});

test('the keras2 flavour refuses the Keras 3-only settings instead of dropping them', () => {
  assert.throws(() => new Adadelta({ gradientAccumulationSteps: 2 }).getConfig({ flavour: 'keras2' }), {
    name: 'ValueError',
    message: 'gradient_accumulation_steps=2 has no tf.keras 2.x form: write this config in the Keras 3 flavour',
  });
  assert.throws(
    () => new Adadelta({ lossScaleFactor: 8 }).getConfig({ flavour: 'keras2' }),
    /loss_scale_factor=8 has no tf.keras 2.x form/,
  );
});

test('a negative epsilon and a rho outside [0, 1] are refused at construction (they train on NaN)', () => {
  assert.throws(() => new Adadelta({ epsilon: -1 }), {
    name: 'ValueError',
    message: '`epsilon` must be >= 0. Received: epsilon=-1',
  });
  assert.throws(() => Adadelta.fromConfig({ epsilon: -0.5 }), {
    name: 'ValueError',
    message: '`epsilon` must be >= 0. Received: epsilon=-0.5',
  });
  assert.throws(() => Adadelta.fromConfig({ rho: 1.5 }), {
    name: 'ValueError',
    message: '`rho` must be in the range [0, 1]. Received: rho=1.5',
  });
  assert.throws(() => new Adadelta({ rho: -0.1 }), {
    name: 'ValueError',
    message: '`rho` must be in the range [0, 1]. Received: rho=-0.1',
  });
  // The bounds themselves are valid (spec golden G1 uses rho=1; epsilon 0 is a plain Adadelta without damping).
  assert.equal(new Adadelta({ rho: 1, epsilon: 0 }).rho, 1);
  assert.equal(new Adadelta({ rho: 0 }).rho, 0);
});
