// Error texts: Keras's own where Keras has one, clear TypeScript-side ones elsewhere; scheduleSeries.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  CosineDecay,
  CosineDecayRestarts,
  ExponentialDecay,
  InverseTimeDecay,
  PiecewiseConstantDecay,
  PolynomialDecay,
  deserialize,
  scheduleSeries,
  serialize,
} from '../../../../src/core/optimizers/schedules/index';

describe('PiecewiseConstantDecay checks', () => {
  it("length mismatch gives Keras's message", () => {
    assert.throws(() => new PiecewiseConstantDecay({ boundaries: [100, 110], values: [1, 0.1] }), {
      name: 'RangeError',
      message:
        'The length of boundaries should be 1 less than the length of values. ' +
        'Received: boundaries=[100, 110] of length 2, and values=[1, 0.1] of length 2.',
    });
  });

  it('refuses empty and non-increasing boundaries, and non-numbers', () => {
    assert.throws(() => new PiecewiseConstantDecay({ boundaries: [], values: [1] }), /at least one step/);
    assert.throws(() => new PiecewiseConstantDecay({ boundaries: [10, 10], values: [1, 2, 3] }), /strictly increasing/);
    assert.throws(
      () => new PiecewiseConstantDecay({ boundaries: [10, NaN], values: [1, 2, 3] }),
      /`boundaries\[1\]` must be a finite number/,
    );
  });

  it("accepts negative steps (Keras's test evaluates at −999)", () => {
    const s = new PiecewiseConstantDecay({ boundaries: [0], values: [3, 4] });
    assert.equal(s.call(-5), 3);
  });
});

describe('constructor checks', () => {
  it("decay_steps must be > 0 (Keras 3's message)", () => {
    assert.throws(() => new ExponentialDecay({ initialLearningRate: 0.1, decaySteps: 0, decayRate: 0.9 }), {
      name: 'RangeError',
      message: 'ExponentialDecay: Argument `decay_steps` must be > 0. Received: decay_steps=0',
    });
    assert.throws(
      () => new InverseTimeDecay({ initialLearningRate: 0.1, decaySteps: -1, decayRate: 0.9 }),
      /`decay_steps` must be > 0/,
    );
    assert.throws(
      () => new PolynomialDecay({ initialLearningRate: 0.1, decaySteps: Infinity }),
      /`decay_steps` must be a finite number/,
    );
    assert.throws(() => new CosineDecay({ initialLearningRate: 0.1, decaySteps: NaN }), /`decay_steps` must be a finite number/);
    assert.throws(
      () => new CosineDecayRestarts({ initialLearningRate: 0.1, firstDecaySteps: 0 }),
      /`first_decay_steps` must be > 0/,
    );
  });

  it('refuses non-finite rates, t_mul ≤ 0, negative warmup and wrong types', () => {
    assert.throws(
      () => new ExponentialDecay({ initialLearningRate: NaN, decaySteps: 1, decayRate: 0.9 }),
      /`initial_learning_rate` must be a finite number/,
    );
    assert.throws(() => new CosineDecayRestarts({ initialLearningRate: 1, firstDecaySteps: 10, tMul: 0 }), /`t_mul` must be > 0/);
    assert.throws(
      () => new CosineDecay({ initialLearningRate: 1, decaySteps: 10, warmupTarget: 1, warmupSteps: -1 }),
      /`warmup_steps` must be >= 0/,
    );
    const bad = { initialLearningRate: 1, decaySteps: 10, decayRate: 0.5, staircase: 'yes' } as unknown as ConstructorParameters<
      typeof ExponentialDecay
    >[0];
    assert.throws(() => new ExponentialDecay(bad), /`staircase` must be a boolean/);
  });

  it('fromConfig refuses unknown and missing keys, like Python cls(**config)', () => {
    assert.throws(
      () => ExponentialDecay.fromConfig({ initial_learning_rate: 0.1, decay_steps: 10, decay_rate: 0.9, decay: 1 }),
      /unexpected keyword argument 'decay'/,
    );
    assert.throws(
      () => PolynomialDecay.fromConfig({ initial_learning_rate: 0.1 }),
      /missing required argument\(s\): 'decay_steps'/,
    );
  });
});

describe('step checks', () => {
  const s = new ExponentialDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.9 });

  it('negative step is a RangeError', () => {
    assert.throws(() => s.call(-1), { name: 'RangeError', message: /step must be >= 0.*step=-1/ });
    assert.throws(() => new CosineDecayRestarts({ initialLearningRate: 1, firstDecaySteps: 10 }).call(-3), RangeError);
  });

  it('non-finite or fractional step is a TypeError', () => {
    for (const bad of [NaN, Infinity, -Infinity, 1.5]) {
      assert.throws(() => s.call(bad), { name: 'TypeError', message: /step must be a finite integer/ });
    }
    assert.throws(() => new PiecewiseConstantDecay({ boundaries: [1], values: [1, 2] }).call(NaN), TypeError);
  });
});

describe('serialize / deserialize errors', () => {
  it('an unknown class names itself and lists the known schedules', () => {
    const dict = { module: 'keras.optimizers.schedules', class_name: 'WarmupLinear', config: {}, registered_name: null };
    assert.throws(
      () => deserialize(dict),
      (e: Error) => {
        assert.match(e.message, /Could not locate class 'WarmupLinear'/);
        for (const known of [
          'ExponentialDecay',
          'PiecewiseConstantDecay',
          'PolynomialDecay',
          'InverseTimeDecay',
          'CosineDecay',
          'CosineDecayRestarts',
        ]) {
          assert.ok(e.message.includes(known), `lists ${known}`);
        }
        return true;
      },
    );
  });

  it('malformed dicts are refused clearly', () => {
    assert.throws(() => deserialize(null), /expected a schedule dict/);
    assert.throws(() => deserialize({ config: {} }), /no string `class_name`/);
    assert.throws(() => deserialize({ class_name: 'CosineDecay' }), /`config` of 'CosineDecay' must be a dict/);
    assert.throws(() => serialize({} as never), /expected a LearningRateSchedule/);
    const s = new CosineDecay({ initialLearningRate: 1, decaySteps: 1 });
    assert.throws(() => serialize(s, { format: 'keras3' as never }), /unknown format 'keras3'/);
  });
});

describe('scheduleSeries', () => {
  it('gives call(0..n−1) as a Float32Array', () => {
    const s = new PolynomialDecay({ initialLearningRate: 0.05, decaySteps: 10, endLearningRate: 0.001 });
    const series = scheduleSeries(s, 16);
    assert.ok(series instanceof Float32Array);
    assert.equal(series.length, 16);
    for (let i = 0; i < 16; i++) assert.equal(series[i], s.call(i));
    assert.equal(scheduleSeries(s, 0).length, 0);
  });

  it('refuses a bad length', () => {
    const s = new CosineDecay({ initialLearningRate: 1, decaySteps: 10 });
    for (const bad of [-1, 2.5, NaN]) assert.throws(() => scheduleSeries(s, bad), /steps must be a non-negative integer/);
  });
});
