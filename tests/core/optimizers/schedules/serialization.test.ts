// getConfig key order, serialize/deserialize round trips in both dict generations, dicts exactly as
// Python Keras writes them, and custom (registered / unregistered) schedules.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  CosineDecay,
  CosineDecayRestarts,
  ExponentialDecay,
  InverseTimeDecay,
  LearningRateSchedule,
  PiecewiseConstantDecay,
  PolynomialDecay,
  deserialize,
  getRegisteredName,
  registerSchedule,
  scheduleSeries,
  serialize,
} from '../../../../src/core/optimizers/schedules/index';

const SAMPLES: LearningRateSchedule[] = [
  new ExponentialDecay({ initialLearningRate: 0.1, decaySteps: 1000, decayRate: 0.96, staircase: true, name: 'exp' }),
  new PiecewiseConstantDecay({ boundaries: [100, 110, 120], values: [1, 0.1, 0.01, 0.001] }),
  new PolynomialDecay({ initialLearningRate: 0.05, decaySteps: 10, endLearningRate: 0.001, power: 0.5, cycle: true }),
  new InverseTimeDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.96 }),
  new CosineDecay({ initialLearningRate: 0, decaySteps: 1000, alpha: 0.1, warmupTarget: 10, warmupSteps: 2000 }),
  new CosineDecayRestarts({ initialLearningRate: 1, firstDecaySteps: 1000, tMul: 1.5, mMul: 0.9, alpha: 0.01 }),
];

const KEY_ORDER: Record<string, string[]> = {
  ExponentialDecay: ['initial_learning_rate', 'decay_steps', 'decay_rate', 'staircase', 'name'],
  PiecewiseConstantDecay: ['boundaries', 'values', 'name'],
  PolynomialDecay: ['initial_learning_rate', 'decay_steps', 'end_learning_rate', 'power', 'cycle', 'name'],
  InverseTimeDecay: ['initial_learning_rate', 'decay_steps', 'decay_rate', 'staircase', 'name'],
  CosineDecay: ['initial_learning_rate', 'decay_steps', 'alpha', 'name', 'warmup_target', 'warmup_steps'],
  CosineDecayRestarts: ['initial_learning_rate', 'first_decay_steps', 't_mul', 'm_mul', 'alpha', 'name'],
};

function assertSameSchedule(a: LearningRateSchedule, b: LearningRateSchedule): void {
  assert.equal(b.className, a.className);
  assert.deepEqual(b.getConfig(), a.getConfig());
  assert.deepEqual(scheduleSeries(b, 3000), scheduleSeries(a, 3000));
}

describe('getConfig', () => {
  it('uses Keras snake_case keys in Keras order', () => {
    for (const s of SAMPLES) assert.deepEqual(Object.keys(s.getConfig()), KEY_ORDER[s.className], s.className);
  });

  it('defaults match Keras', () => {
    const cfg = new CosineDecay({ initialLearningRate: 1, decaySteps: 10 }).getConfig();
    assert.deepEqual(cfg, {
      initial_learning_rate: 1,
      decay_steps: 10,
      alpha: 0,
      name: null,
      warmup_target: null,
      warmup_steps: 0,
    });
    const poly = new PolynomialDecay({ initialLearningRate: 1, decaySteps: 10 }).getConfig();
    assert.deepEqual(poly, {
      initial_learning_rate: 1,
      decay_steps: 10,
      end_learning_rate: 0.0001,
      power: 1,
      cycle: false,
      name: null,
    });
  });
});

describe('serialize / deserialize round trips', () => {
  it('v2.13+ dict: module keras.optimizers.schedules, registered_name null', () => {
    for (const s of SAMPLES) {
      const dict = serialize(s);
      assert.deepEqual(Object.keys(dict), ['module', 'class_name', 'config', 'registered_name']);
      assert.equal(dict.module, 'keras.optimizers.schedules');
      assert.equal(dict.registered_name, null);
      assertSameSchedule(s, deserialize(JSON.parse(JSON.stringify(dict))));
    }
  });

  it('legacy (v2.11/2.12) dict: {class_name, config}', () => {
    for (const s of SAMPLES) {
      const dict = serialize(s, { format: 'legacy' });
      assert.deepEqual(Object.keys(dict), ['class_name', 'config']);
      assertSameSchedule(s, deserialize(JSON.parse(JSON.stringify(dict))));
    }
  });

  it('fromConfig(getConfig()) rebuilds each built-in', () => {
    for (const s of SAMPLES) {
      const cls = s.constructor as unknown as { fromConfig(c: Record<string, unknown>): LearningRateSchedule };
      assertSameSchedule(s, cls.fromConfig(s.getConfig()));
    }
  });
});

describe('dicts as Python Keras writes them', () => {
  const KERAS_213 =
    '{"module": "keras.optimizers.schedules", "class_name": "ExponentialDecay", "config": ' +
    '{"initial_learning_rate": 0.1, "decay_steps": 1000, "decay_rate": 0.96, "staircase": false, "name": null}, ' +
    '"registered_name": null}';

  it('a Keras 2.13 dict deserializes, and serializing gives the same JSON back', () => {
    const s = deserialize(JSON.parse(KERAS_213));
    assert.ok(s instanceof ExponentialDecay);
    assert.equal(s.call(0), Math.fround(0.1));
    assert.equal(JSON.stringify(serialize(s)), JSON.stringify(JSON.parse(KERAS_213)));
  });

  it('a Keras 2.11 legacy dict deserializes', () => {
    const legacy =
      '{"class_name": "PiecewiseConstantDecay", "config": {"boundaries": [100, 110], "values": [1.0, 0.5, 0.1], "name": null}}';
    const s = deserialize(JSON.parse(legacy));
    assert.ok(s instanceof PiecewiseConstantDecay);
    assert.equal(s.call(105), 0.5);
    assert.equal(JSON.stringify(serialize(s, { format: 'legacy' })), JSON.stringify(JSON.parse(legacy)));
  });

  it('a v2.11/2.12 CosineDecay config (no warmup keys) loads with the warmup defaults', () => {
    const old = { class_name: 'CosineDecay', config: { initial_learning_rate: 1.0, decay_steps: 1000, alpha: 0.0, name: null } };
    const s = deserialize(old) as CosineDecay;
    assert.equal(s.warmupTarget, null);
    assert.equal(s.warmupSteps, 0);
    assert.equal(s.call(500), new CosineDecay({ initialLearningRate: 1, decaySteps: 1000 }).call(500));
  });

  it('a config with float32-noise values (read back from a tensor) still loads', () => {
    const dict = {
      class_name: 'InverseTimeDecay',
      config: { initial_learning_rate: 0.10000000149011612, decay_steps: 10, decay_rate: 0.5, staircase: false, name: null },
    };
    assert.equal(deserialize(dict).call(0), Math.fround(0.1));
  });
});

/** A user schedule: lr = init / (step + 1), the example from Keras's docstring. */
class OneOverT extends LearningRateSchedule {
  constructor(readonly initial: number) {
    super();
  }
  call(step: number): number {
    return Math.fround(this.initial / (step + 1));
  }
  getConfig() {
    return { initial_learning_rate: this.initial };
  }
  static fromConfig(cfg: Record<string, unknown>): OneOverT {
    return new this(cfg.initial_learning_rate as number); // `this`: subclasses rebuild as themselves
  }
}

/** A custom class without fromConfig: deserialize calls `new cls(config)` (Keras's `cls(**config)`). */
class HalfEvery extends LearningRateSchedule {
  static readonly className = 'HalfEvery';
  readonly every: number;
  constructor(cfg: { every: number }) {
    super();
    this.every = cfg.every;
  }
  call(step: number): number {
    return Math.fround(Math.pow(0.5, Math.floor(step / this.every)));
  }
  getConfig() {
    return { every: this.every };
  }
}

describe('custom schedules', () => {
  it('unregistered: module null and registered_name = class name (Keras 2.15 optimizer test)', () => {
    const dict = serialize(new OneOverT(0.05));
    assert.deepEqual(dict, {
      module: null,
      class_name: 'OneOverT',
      config: { initial_learning_rate: 0.05 },
      registered_name: 'OneOverT',
    });
    assert.deepEqual(serialize(new OneOverT(0.05), { format: 'legacy' }), {
      class_name: 'OneOverT',
      config: { initial_learning_rate: 0.05 },
    });
  });

  it('unregistered: loads through customObjects, and fails clearly without them', () => {
    const dict = serialize(new OneOverT(0.05));
    const s = deserialize(dict, { OneOverT });
    assert.ok(s instanceof OneOverT);
    assert.equal(s.call(4), Math.fround(0.01));
    assert.throws(
      () => deserialize(dict),
      (e: Error) => e instanceof TypeError && /Cannot deserialize object of type `OneOverT`/.test(e.message),
    );
    assert.throws(
      () => deserialize(serialize(new OneOverT(1), { format: 'legacy' })),
      /Could not locate class 'OneOverT'.*Known schedules: ExponentialDecay/,
    );
  });

  it('registered: "package>Name", module = package, and loads without customObjects', () => {
    registerSchedule(HalfEvery, { package: 'dtrain' });
    assert.equal(getRegisteredName(HalfEvery), 'dtrain>HalfEvery');
    const s = new HalfEvery({ every: 10 });
    const dict = serialize(s);
    assert.deepEqual(dict, {
      module: 'dtrain',
      class_name: 'HalfEvery',
      config: { every: 10 },
      registered_name: 'dtrain>HalfEvery',
    });
    assertSameSchedule(s, deserialize(JSON.parse(JSON.stringify(dict))));
    // The legacy serializer writes the registered name as class_name.
    const legacy = serialize(s, { format: 'legacy' });
    assert.deepEqual(legacy, { class_name: 'dtrain>HalfEvery', config: { every: 10 } });
    assertSameSchedule(s, deserialize(legacy));
  });

  it('registration defaults to package Custom and an explicit name', () => {
    class Renamed extends OneOverT {}
    registerSchedule(Renamed, { name: 'Inverse' });
    assert.equal(getRegisteredName(Renamed), 'Custom>Inverse');
    assert.equal(serialize(new Renamed(1)).registered_name, 'Custom>Inverse');
  });

  it('a second class under a taken registered name is refused', () => {
    class Twin extends OneOverT {}
    class Other extends OneOverT {}
    registerSchedule(Twin, { package: 'twins', name: 'T' });
    registerSchedule(Twin, { package: 'twins', name: 'T' }); // same class again is fine
    assert.throws(() => registerSchedule(Other, { package: 'twins', name: 'T' }), /twins>T has already been registered to Twin/);
  });

  it("a subclass of a built-in serializes under its own name, not the built-in's", () => {
    class SlowExp extends ExponentialDecay {}
    const dict = serialize(new SlowExp({ initialLearningRate: 1, decaySteps: 10, decayRate: 0.5 }));
    assert.equal(dict.class_name, 'SlowExp');
    assert.equal(dict.module, null);
    assert.ok(deserialize(dict, { SlowExp }) instanceof SlowExp);
  });

  it('customObjects take precedence over built-ins of the same name (as in Keras)', () => {
    class ExponentialDecayPatched extends OneOverT {}
    const s = deserialize(
      { class_name: 'ExponentialDecay', config: { initial_learning_rate: 2 } },
      { ExponentialDecay: ExponentialDecayPatched },
    );
    assert.ok(s instanceof ExponentialDecayPatched);
  });
});
