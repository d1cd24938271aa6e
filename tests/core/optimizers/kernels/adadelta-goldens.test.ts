// Golden values G2–G7 (docs/optimizer-contract.md, "Golden values"), on both float32 paths and on float64.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { f32, freeState, makeState, type Path, kernels } from './helpers';

const DEFAULTS = { lr: 1e-3, rho: 0.95, epsilon: 1e-7 };
const PATHS: Path[] = ['heap', 'plain'];

for (const path of PATHS) {
  test(`G3 (${path}): ones(4x4) float32, grad ones, defaults — exact`, () => {
    const s = makeState(path, new Float32Array(16).fill(1));
    const g = new Float32Array(16).fill(1);
    const expected = [0.9999985694885254, 0.9999971389770508, 0.9999957084655762];
    for (let step = 0; step < 3; step++) {
      kernels.dense(s.v, s.eg, s.ed, g, DEFAULTS);
      for (const x of s.v.array()) assert.equal(x, expected[step]);
      if (step === 0) {
        for (const x of s.eg.array()) assert.equal(x, 0.05000000074505806);
        for (const x of s.ed.array()) assert.equal(x, f32(9.99998022e-8));
      }
    }
    freeState(s);
  });

  test(`G5 (${path}): x=[1,2], g=[.1,.2], lr 1, rho .95, eps 1e-6`, () => {
    const s = makeState(path, [1, 2]);
    const g = new Float32Array([0.1, 0.2]);
    const expected = [
      [0.995532334, 1.99552894],
      [0.991007805, 1.99100101],
      [0.986444831, 1.98643458],
    ];
    const hp = { lr: 1, rho: 0.95, epsilon: 1e-6 };
    for (const row of expected) {
      kernels.dense(s.v, s.eg, s.ed, g, hp);
      assert.deepEqual([...s.v.array()], row.map(f32));
    }
    assert.deepEqual([...s.eg.array()], [0.00142624998, 0.0057049999].map(f32));
    assert.deepEqual([...s.ed.array()], [2.91413562e-6, 2.91855326e-6].map(f32));
    freeState(s);
  });

  test(`G2 (${path}): var0=[1,2], g=.1, lr 1, rho .95, eps 1e-8 — rtol 1e-5`, () => {
    const s = makeState(path, [1, 2]);
    const g = new Float32Array([0.1, 0.1]);
    for (const want of [0.999552786, 0.999099851, 0.9986431, 0.99818337]) {
      kernels.dense(s.v, s.eg, s.ed, g, { lr: 1, rho: 0.95, epsilon: 1e-8 });
      assert.ok(Math.abs(s.v.array()[0] - want) <= 1e-5 * want);
    }
    freeState(s);
  });

  test(`G6 (${path}): lr 1, .5, .25 (schedule values), rho .9, eps 1e-6`, () => {
    const s = makeState(path, [1, -2]);
    const g = new Float32Array([1, -1]);
    const expected = [
      [0.996837735, -1.99683774],
      [0.995215535, -1.99521554],
      [0.994390309, -1.99439037],
    ];
    [1, 0.5, 0.25].forEach((lr, step) => {
      kernels.dense(s.v, s.eg, s.ed, g, { lr, rho: 0.9, epsilon: 1e-6 });
      assert.deepEqual([...s.v.array()], expected[step].map(f32));
    });
    freeState(s);
  });

  test(`G7 (${path}): sparse rows [1,2] gives the same v as dense [0,1,1.5,0,0], bitwise`, () => {
    const hp = { lr: 0.002, rho: 0.95, epsilon: 1e-7 };
    const dense = makeState(path, new Float32Array(5).fill(1));
    const sparse = makeState(path, new Float32Array(5).fill(1));
    const g = new Float32Array([0, 1, 1.5, 0, 0]);
    for (let step = 0; step < 5; step++) {
      kernels.dense(dense.v, dense.eg, dense.ed, g, hp);
      kernels.sparse(sparse.v, sparse.eg, sparse.ed, new Int32Array([1, 2]), new Float32Array([1, 1.5]), 1, hp);
    }
    const want = [1, 0.999985635, 0.999985635, 1, 1].map(f32);
    assert.deepEqual([...dense.v.array()], want);
    assert.deepEqual([...sparse.v.array()], want);
    // The accumulators may differ in the last bit: sparse decays Eg as Eg + (rho-1)*Eg
    // (contract: "The Adadelta update step").
    for (const k of ['eg', 'ed'] as const) {
      const a = sparse[k].array();
      const b = dense[k].array();
      for (let i = 0; i < 5; i++) assert.ok(Math.abs(a[i] - b[i]) <= 2 ** -22 * Math.abs(b[i]), `${k}[${i}]`);
    }
    freeState(dense);
    freeState(sparse);
  });
}

test('G4: float64 ones(10), defaults — dense then sparse steps on the same variable, exact', () => {
  const s = makeState('plain', new Float64Array(10).fill(1), 'float64');
  kernels.dense(s.v, s.eg, s.ed, new Float64Array(10).fill(0.01), DEFAULTS);
  for (const x of s.v.array()) assert.equal(x, 0.9999985997198495);

  const g = new Float64Array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]);
  for (let step = 0; step < 5; step++) kernels.dense(s.v, s.eg, s.ed, g, DEFAULTS);
  const afterDense = [...s.v.array()];
  assert.deepEqual(afterDense.slice(0, 4), [0.9999886003016358, 0.9999885644776915, 0.9999885578008856, 0.999988555460824]);

  // idx [0,2,4,6,6], vals [0,.2,.4,.8,.8] de-duplicated: row 6 gets .8 + .8.
  const rows = new Int32Array([0, 2, 4, 6]);
  const vals = new Float64Array([0, 0.2, 0.4, 0.8 + 0.8]);
  for (let step = 0; step < 5; step++) kernels.sparse(s.v, s.eg, s.ed, rows, vals, 1, DEFAULTS);
  const x = s.v.array();
  assert.equal(x[2], 0.9999813844836226);
  assert.equal(x[4], 0.99998011771753);
  assert.equal(x[6], 0.9999712197691718);
  for (const i of [0, 1, 3, 5, 7, 8, 9]) assert.equal(x[i], afterDense[i], `row ${i} unchanged`);
});
