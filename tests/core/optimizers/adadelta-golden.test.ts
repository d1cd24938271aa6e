// Golden values (docs/optimizer-contract.md, "Golden values") through the public API, on both kernels:
// tf.Variable (tfjs ops) and host-storage ShardedVariable (fused kernel, WASM SIMD and plain JS).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useCpuBackend } from '../../helpers/tf';
import { refDenseStep, refInit, seededValues } from '../../helpers/reference-adadelta';
import { Adadelta, IndexedSlices, Layout, Mesh, ShardedVariable, schedules } from '../../../src/core';

const tf = await useCpuBackend();
const f32 = (xs: number[]) => Array.from(Float32Array.from(xs));

type Kind = 'tensor' | 'fused-simd' | 'fused-js';
const KINDS: Kind[] = ['tensor', 'fused-simd', 'fused-js'];

/** Makes a variable of the given kind and returns it with a reader of its values. */
function makeVar(kind: Kind, values: number[], shape: number[], dtype: 'float32' | 'float64' = 'float32') {
  if (kind === 'tensor') {
    const v = tf.variable(tf.tensor(values, shape));
    return { v, read: () => Array.from(v.dataSync()) };
  }
  const mesh = Mesh.single();
  const v = new ShardedVariable({
    name: 'x',
    globalShape: shape,
    layout: Layout.replicated(mesh, shape.length),
    deviceId: 0,
    dtype,
    initialValue: values,
  });
  return { v, read: () => Array.from(v.readLocal()) };
}

const optFor = (kind: Kind, args: ConstructorParameters<typeof Adadelta>[0]) =>
  new Adadelta({ ...args, jitCompile: kind !== 'fused-js' });

for (const kind of KINDS) {
  test(`G1 sparse minimize, rho=1 eps=1 lr=1 gives [[-111, -138]] exactly (${kind})`, async () => {
    const { v, read } = makeVar(kind, [1, 2], [1, 2]);
    const opt = optFor(kind, { learningRate: 1, rho: 1, epsilon: 1 });
    const grad = new IndexedSlices(tf.tensor2d([[112, 140]]), [0], [1, 2]);
    await opt.applyGradients([[grad, v]]);
    assert.deepEqual(read(), [-111, -138]);
  });

  test(`G3 DTensor test values, ones(4x4), defaults, 3 steps exact (${kind})`, async () => {
    const { v, read } = makeVar(kind, new Array(16).fill(1), [4, 4]);
    const opt = optFor(kind, {});
    const expected = [0.9999985694885254, 0.9999971389770508, 0.9999957084655762];
    for (let step = 0; step < 3; step++) {
      const it = await opt.applyGradients([[tf.ones([4, 4]), v]]);
      assert.equal(it, step + 1);
      assert.deepEqual(read(), new Array(16).fill(expected[step]));
      if (step === 0) {
        const weights = opt.getWeights();
        assert.equal(weights[0], 1);
        assert.equal((weights[1] as Float32Array)[0], 0.05000000074505806); // E[g²]: (1−rho) rounded from float64
        assert.equal((weights[2] as Float32Array)[0], Math.fround(9.99998022e-8));
      }
    }
  });

  test(`G5 x=[1,2] g=[.1,.2] lr 1 eps 1e-6, 3 steps and slots (${kind})`, async () => {
    const { v, read } = makeVar(kind, [1, 2], [2]);
    const opt = optFor(kind, { learningRate: 1, rho: 0.95, epsilon: 1e-6 });
    const expected = [
      [0.995532334, 1.99552894],
      [0.991007805, 1.99100101],
      [0.986444831, 1.98643458],
    ];
    for (const want of expected) {
      await opt.applyGradients([[tf.tensor1d([0.1, 0.2]), v]]);
      assert.deepEqual(read(), f32(want));
    }
    const [, eg, ed] = opt.getWeights() as Float32Array[];
    assert.deepEqual(Array.from(eg!), f32([0.00142624998, 0.0057049999]));
    assert.deepEqual(Array.from(ed!), f32([2.91413562e-6, 2.91855326e-6]));
  });

  test(`G6 ExponentialDecay(1, 1, .5) schedule, rho .9 eps 1e-6 (${kind})`, async () => {
    const { v, read } = makeVar(kind, [1, -2], [2]);
    const lr = new schedules.ExponentialDecay({ initialLearningRate: 1.0, decaySteps: 1, decayRate: 0.5 });
    const opt = optFor(kind, { learningRate: lr, rho: 0.9, epsilon: 1e-6 });
    const want = [
      [0.996837735, -1.99683774],
      [0.995215535, -1.99521554],
      [0.994390309, -1.99439037],
    ];
    const lrs = [1, 0.5, 0.25];
    for (let i = 0; i < 3; i++) {
      await opt.applyGradients([[tf.tensor1d([1, -1]), v]]);
      assert.equal(opt.learningRate, lrs[i]);
      assert.deepEqual(read(), f32(want[i]!));
    }
  });

  test(`G7 sparse equals dense, rows [1,2] (${kind})`, async () => {
    const a = makeVar(kind, [1, 1, 1, 1, 1], [5]);
    const b = makeVar(kind, [1, 1, 1, 1, 1], [5]);
    const optA = optFor(kind, { learningRate: 0.002 });
    const optB = optFor(kind, { learningRate: 0.002 });
    for (let i = 0; i < 5; i++) {
      await optA.applyGradients([[tf.tensor1d([0, 1, 1.5, 0, 0]), a.v]]);
      await optB.applyGradients([[new IndexedSlices(tf.tensor1d([1, 1.5]), [1, 2], [5]), b.v]]);
    }
    assert.deepEqual(a.read(), f32([1, 0.999985635, 0.999985635, 1, 1]));
    assert.deepEqual(b.read(), a.read());
  });
}

test('G2 float32, const grad .1, lr 1, rho .95, eps 1e-8: four steps', async () => {
  const { v, read } = makeVar('fused-simd', [1, 2], [2]);
  const opt = new Adadelta({ learningRate: 1, rho: 0.95, epsilon: 1e-8 });
  for (const want of [0.999552786, 0.999099851, 0.9986431, 0.99818337]) {
    await opt.applyGradients([[new Float32Array([0.1, 0.1]), v]]);
    assert.ok(Math.abs(read()[0]! - want) <= 1e-5 * want, `${read()[0]} vs ${want}`);
  }
});

test('G4 float64 variables: one step, five dense, five sparse with duplicate indices, on one variable', async () => {
  const { v, read } = makeVar('fused-simd', new Array(10).fill(1), [10], 'float64');
  const opt = new Adadelta();
  await opt.applyGradients([[new Float64Array(10).fill(0.01), v]]);
  assert.deepEqual(read(), new Array(10).fill(0.9999985997198495));
  const grad = Float64Array.from({ length: 10 }, (_, i) => (i + 1) / 10);
  for (let i = 0; i < 5; i++) await opt.applyGradients([[grad, v]]);
  assert.deepEqual(read().slice(0, 4), [0.9999886003016358, 0.9999885644776915, 0.9999885578008856, 0.999988555460824]);
  const before = read();
  for (let i = 0; i < 5; i++) {
    await opt.applyGradients([[new IndexedSlices(new Float64Array([0, 0.2, 0.4, 0.8, 0.8]), [0, 2, 4, 6, 6], [10]), v]]);
  }
  const after = read();
  assert.equal(after[2], 0.9999813844836226);
  assert.equal(after[4], 0.99998011771753);
  assert.equal(after[6], 0.9999712197691718);
  for (const i of [1, 3, 5, 7, 8, 9]) assert.equal(after[i], before[i]);
});

test('matches an independent float64 reference over 20 random steps (float32 tolerance)', async () => {
  const x0 = seededValues(1, 37);
  const ref = refInit(x0);
  for (const kind of KINDS) {
    const { v, read } = makeVar(kind, x0, [37]);
    const opt = optFor(kind, { learningRate: 0.5, rho: 0.9, epsilon: 1e-6 });
    const r = refInit(x0);
    for (let step = 0; step < 20; step++) {
      const g = seededValues(100 + step, 37);
      await opt.applyGradients([[tf.tensor1d(g), v]]);
      refDenseStep(r, g, Math.fround(0.5), 0.9, 1e-6);
    }
    read().forEach((x, i) =>
      assert.ok(Math.abs(x - r.x[i]!) <= 2e-5 * Math.max(1, Math.abs(r.x[i]!)), `${kind}[${i}]: ${x} vs ${r.x[i]}`),
    );
  }
  assert.ok(ref.x.length === 37);
});

test('all three kernels agree bit for bit on random data', async () => {
  const x0 = seededValues(7, 1031, -3, 3);
  const results = [];
  for (const kind of KINDS) {
    const { v, read } = makeVar(kind, x0, [1031]);
    const opt = optFor(kind, { learningRate: 0.1 });
    for (let step = 0; step < 5; step++) await opt.applyGradients([[tf.tensor1d(seededValues(50 + step, 1031, -2, 2)), v]]);
    results.push(read());
  }
  assert.deepEqual(results[1], results[0]);
  assert.deepEqual(results[2], results[0]);
});
