// Keras's own expected values (learning_rate_schedule_test.py; docs/optimizer-contract.md, "Golden
// values"), at Keras's tolerance.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  CosineDecay,
  CosineDecayRestarts,
  ExponentialDecay,
  InverseTimeDecay,
  PiecewiseConstantDecay,
  PolynomialDecay,
} from '../../../../src/core/optimizers/schedules/index';

/** tf.test assertAllClose with rtol = atol = 1e-6: |a − b| ≤ atol + rtol·|b|. */
function assertClose(actual: number, expected: number, tol = 1e-6): void {
  assert.ok(Math.abs(actual - expected) <= tol + tol * Math.abs(expected), `expected ${expected}, got ${actual}`);
}

describe('ExponentialDecay golden', () => {
  it('continuous: (0.05, 10, 0.96) @5 = 0.05·0.96^0.5', () => {
    const s = new ExponentialDecay({ initialLearningRate: 0.05, decaySteps: 10, decayRate: 0.96 });
    assertClose(s.call(5), 0.0489897949);
  });

  it('staircase: (0.1, 3, 0.96) @1,@2 = 0.1 and @100 = 0.1·0.96^33', () => {
    const s = new ExponentialDecay({ initialLearningRate: 0.1, decaySteps: 3, decayRate: 0.96, staircase: true });
    assertClose(s.call(1), 0.1);
    assertClose(s.call(2), 0.1);
    assertClose(s.call(100), 0.0259986436);
    // Before the first step boundary the LR is exactly float32(0.1): the exponent is floor(p) = 0.
    assert.equal(s.call(2), Math.fround(0.1));
  });
});

describe('PiecewiseConstantDecay golden', () => {
  it('([100,110,120], [1,.1,.01,.001]) at the boundaries and beyond', () => {
    const s = new PiecewiseConstantDecay({ boundaries: [100, 110, 120], values: [1, 0.1, 0.01, 0.001] });
    const cases: Array<[number, number]> = [
      [-999, 1],
      [100, 1],
      [105, 0.1],
      [110, 0.1],
      [120, 0.01],
      [999, 0.001],
    ];
    for (const [step, expected] of cases) {
      assertClose(s.call(step), expected);
      assert.equal(s.call(step), Math.fround(expected), `step ${step} returns the float32 value`);
    }
  });
});

describe('PolynomialDecay golden', () => {
  const opts = { initialLearningRate: 0.05, decaySteps: 10, endLearningRate: 0.001 };

  it('halfway, at the end and past the end', () => {
    const s = new PolynomialDecay(opts);
    assertClose(s.call(5), 0.0255);
    assertClose(s.call(10), 0.001);
    assertClose(s.call(15), 0.001);
  });

  it('with cycle, step 15 decays over 20 steps', () => {
    assertClose(new PolynomialDecay({ ...opts, cycle: true }).call(15), 0.01325);
  });

  it('with cycle, step 0 uses one period (not a zero-length one)', () => {
    assertClose(new PolynomialDecay({ ...opts, cycle: true }).call(0), 0.05);
  });
});

describe('InverseTimeDecay golden', () => {
  it('(0.1, 10, 0.96) @i = 0.1 / (1 + 0.096 i)', () => {
    const s = new InverseTimeDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.96 });
    for (const i of [0, 1, 2, 5, 10, 37, 100]) assertClose(s.call(i), 0.1 / (1 + 0.096 * i));
  });

  it('staircase @10 = 0.1 / 1.96', () => {
    const s = new InverseTimeDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.96, staircase: true });
    assertClose(s.call(10), 0.0510204082);
    assertClose(s.call(9), 0.1);
  });
});

describe('CosineDecay golden', () => {
  it('(1, 1000) @250/500/≥1000', () => {
    const s = new CosineDecay({ initialLearningRate: 1, decaySteps: 1000 });
    assertClose(s.call(250), 0.8535533906);
    assertClose(s.call(500), 0.5);
    for (const step of [1000, 1001, 5000]) assertClose(s.call(step), 0);
  });

  it('warmup (init 0, D 1000, target 10, W 2000) @500 = 2.5, @2500 = 5', () => {
    const s = new CosineDecay({ initialLearningRate: 0, decaySteps: 1000, warmupTarget: 10, warmupSteps: 2000 });
    assertClose(s.call(500), 2.5);
    assertClose(s.call(2500), 5.0);
  });
});

describe('CosineDecayRestarts golden', () => {
  it('(1, 1000) @1250, with m_mul 0.9, with t_mul 1', () => {
    assertClose(new CosineDecayRestarts({ initialLearningRate: 1, firstDecaySteps: 1000 }).call(1250), 0.9619397663);
    assertClose(new CosineDecayRestarts({ initialLearningRate: 1, firstDecaySteps: 1000, mMul: 0.9 }).call(1250), 0.8657457896);
    assertClose(new CosineDecayRestarts({ initialLearningRate: 1, firstDecaySteps: 1000, tMul: 1 }).call(1250), 0.8535533906);
  });
});
