// Each schedule against an independent float64 reference of its formula (docs/optimizer-contract.md,
// "Learning-rate schedules"), over a sweep of steps. The float32 implementation may differ only by float32 rounding.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  CosineDecay,
  CosineDecayRestarts,
  ExponentialDecay,
  InverseTimeDecay,
  type LearningRateSchedule,
  PiecewiseConstantDecay,
  PolynomialDecay,
} from '../../../../src/core/optimizers/schedules/index';

const STEPS = [...Array.from({ length: 400 }, (_, i) => i), 997, 1000, 1003, 2999, 3000, 4321, 10_000, 65_537];

/** ~1e-6 relative, plus an absolute floor of 1e-6·scale for values that decay towards zero. */
function assertAgrees(
  schedule: LearningRateSchedule,
  reference: (step: number) => number,
  scale: number,
  extraTol: (step: number) => number = () => 0,
): void {
  for (const step of STEPS) {
    const actual = schedule.call(step);
    const expected = reference(step);
    assert.equal(actual, Math.fround(actual), `step ${step}: the result is a float32 value`);
    const tol = 1e-6 * Math.abs(expected) + 1e-6 * scale + extraTol(step);
    assert.ok(Math.abs(actual - expected) <= tol, `step ${step}: expected ${expected}, got ${actual}`);
  }
}

function expRef(init: number, d: number, rate: number, stair: boolean) {
  return (t: number) => init * Math.pow(rate, stair ? Math.floor(t / d) : t / d);
}

function polyRef(init: number, d: number, end: number, power: number, cycle: boolean) {
  return (t: number) => {
    const period = cycle ? d * Math.max(1, Math.ceil(t / d)) : d;
    const s = cycle ? t : Math.min(t, d);
    return (init - end) * Math.pow(1 - s / period, power) + end;
  };
}

function invRef(init: number, d: number, rate: number, stair: boolean) {
  return (t: number) => init / (1 + rate * (stair ? Math.floor(t / d) : t / d));
}

function cosRef(init: number, d: number, alpha: number, target: number | null, w: number) {
  const decay = (s: number, base: number) => base * ((1 - alpha) * 0.5 * (1 + Math.cos((Math.PI * s) / d)) + alpha);
  return (t: number) => {
    if (target === null) return decay(Math.min(t, d), init);
    const s = Math.min(t, d + w);
    return s < w ? init + ((target - init) * s) / w : decay(s - w, target);
  };
}

/**
 * Keras's closed form subtracts the completed periods from step/first in float32, so the in-period
 * fraction carries an absolute error of a few ulp(step/first), scaled by 1/period length; the LR
 * moves at most init·π/2 per unit of fraction. This bounds the float32 cancellation Keras also has.
 */
function restartsTol(init: number, first: number, tMul: number) {
  return (t: number) => {
    const fraction = t / first;
    const period = tMul === 1 ? 1 : Math.pow(tMul, Math.floor(Math.log(1 + fraction * (tMul - 1)) / Math.log(tMul)));
    return init * (Math.PI / 2) * ((4 * fraction * 2 ** -24) / period);
  };
}

/** Walks the periods one by one instead of using the closed form. */
function restartsRef(init: number, first: number, tMul: number, mMul: number, alpha: number) {
  return (t: number) => {
    let start = 0;
    let length = first;
    let i = 0;
    while (t >= start + length) {
      start += length;
      length *= tMul;
      i++;
    }
    const f = (t - start) / length;
    return init * ((1 - alpha) * 0.5 * Math.pow(mMul, i) * (1 + Math.cos(Math.PI * f)) + alpha);
  };
}

describe('float32 schedules agree with a float64 reference', () => {
  it('ExponentialDecay, continuous and staircase', () => {
    for (const stair of [false, true]) {
      const s = new ExponentialDecay({ initialLearningRate: 0.05, decaySteps: 1000, decayRate: 0.96, staircase: stair });
      assertAgrees(s, expRef(0.05, 1000, 0.96, stair), 0.05);
      const fast = new ExponentialDecay({ initialLearningRate: 1, decaySteps: 7, decayRate: 0.9, staircase: stair });
      assertAgrees(fast, expRef(1, 7, 0.9, stair), 1);
    }
  });

  it('PiecewiseConstantDecay', () => {
    const b = [10, 100, 1000, 4000];
    const v = [1, 0.5, 0.1, 0.01, 0.003];
    const s = new PiecewiseConstantDecay({ boundaries: b, values: v });
    const ref = (t: number) => v[b.findIndex((x) => t <= x) === -1 ? b.length : b.findIndex((x) => t <= x)];
    assertAgrees(s, ref, 1);
  });

  it('PolynomialDecay, with and without cycle, several powers', () => {
    for (const cycle of [false, true]) {
      for (const power of [1, 0.5, 2, 3.7]) {
        const s = new PolynomialDecay({ initialLearningRate: 0.1, decaySteps: 300, endLearningRate: 0.001, power, cycle });
        assertAgrees(s, polyRef(0.1, 300, 0.001, power, cycle), 0.1);
      }
    }
  });

  it('InverseTimeDecay, continuous and staircase', () => {
    for (const stair of [false, true]) {
      const s = new InverseTimeDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.96, staircase: stair });
      assertAgrees(s, invRef(0.1, 10, 0.96, stair), 0.1);
    }
  });

  it('CosineDecay, without and with warmup, with alpha', () => {
    for (const alpha of [0, 0.1]) {
      assertAgrees(
        new CosineDecay({ initialLearningRate: 0.2, decaySteps: 1000, alpha }),
        cosRef(0.2, 1000, alpha, null, 0),
        0.2,
      );
      const warm = new CosineDecay({ initialLearningRate: 0.01, decaySteps: 2000, alpha, warmupTarget: 0.3, warmupSteps: 250 });
      assertAgrees(warm, cosRef(0.01, 2000, alpha, 0.3, 250), 0.3);
    }
  });

  it('CosineDecayRestarts over several t_mul / m_mul / alpha', () => {
    const cases: Array<[number, number, number]> = [
      [2, 1, 0],
      [1, 1, 0],
      [1, 0.8, 0.05],
      [1.5, 0.9, 0.1],
      [3, 1, 0],
    ];
    for (const [tMul, mMul, alpha] of cases) {
      const s = new CosineDecayRestarts({ initialLearningRate: 0.5, firstDecaySteps: 100, tMul, mMul, alpha });
      assertAgrees(s, restartsRef(0.5, 100, tMul, mMul, alpha), 0.5, restartsTol(0.5, 100, tMul));
    }
  });
});
