// The sparse (IndexedSlices) update: every row's accumulators decay, rows with a
// gradient get Eg += (1-rho)*(g*g); checked against an independent densifying reference.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeState, kernels, context } from './helpers';
import { FusedAdadelta } from '../../../../src/core/optimizers/kernels/adadelta-fused';
import { testSeed } from '../../../helpers/seed';

/**
 * Independent reference of the sparse update, written the way docs/optimizer-contract.md ("The Adadelta
 * update step") states it: decay all of Eg, scatter-add, densify G, then dense Δ / Ed / v. `round` is the
 * per-operation rounding (Math.fround for float32, identity for float64).
 */
function referenceSparse(
  v: Float64Array | Float32Array,
  eg: Float64Array | Float32Array,
  ed: Float64Array | Float32Array,
  rows: number[],
  values: number[],
  rowSize: number,
  lr: number,
  rho: number,
  eps: number,
  round: (x: number) => number,
): void {
  const rm1 = round(rho - 1);
  const omr = round(1 - rho);
  const [rh, ep] = [round(rho), round(eps)];
  for (let i = 0; i < eg.length; i++) eg[i] = round(eg[i] + round(rm1 * eg[i]));
  const G = new Float64Array(v.length);
  rows.forEach((row, k) => {
    for (let j = 0; j < rowSize; j++) {
      const val = values[k * rowSize + j];
      const at = row * rowSize + j;
      eg[at] = round(eg[at] + round(omr * round(val * val)));
      G[at] = val;
    }
  });
  for (let i = 0; i < v.length; i++) {
    const d = round(round(-round(Math.sqrt(round(ed[i] + ep))) * G[i]) / round(Math.sqrt(round(eg[i] + ep))));
    ed[i] = round(round(rh * ed[i]) + round(round(omr * d) * d));
    v[i] = round(v[i] + round(round(lr) * d));
  }
}

function randomCase(seed: number, numRows: number, rowSize: number) {
  let a = seed;
  const rand = () => (a = (a * 1103515245 + 12345) % 2147483648) / 2147483648;
  const order = [...Array(numRows).keys()].sort(() => rand() - 0.5);
  const rows = order.slice(0, Math.floor(numRows / 2)); // unordered, unique
  const values = rows.flatMap(() => Array.from({ length: rowSize }, () => Math.fround((rand() - 0.5) * 4)));
  return { rows, values };
}

for (const path of ['heap', 'plain'] as const) {
  test(`float32 sparse (${path}) equals a per-op float32 reference, rowSize 3, unordered rows`, () => {
    const numRows = 41;
    const rowSize = 3;
    const hp = { lr: 0.7, rho: 0.9, epsilon: 1e-6 };
    const init = Float32Array.from({ length: numRows * rowSize }, (_, i) => 1 + (i % 7) / 8);
    const s = makeState(path, init);
    const ref = { v: Float32Array.from(init), eg: new Float32Array(init.length), ed: new Float32Array(init.length) };
    for (let step = 0; step < 6; step++) {
      const { rows, values } = randomCase(step + 1, numRows, rowSize);
      kernels.sparse(s.v, s.eg, s.ed, Int32Array.from(rows), Float32Array.from(values), rowSize, hp);
      referenceSparse(ref.v, ref.eg, ref.ed, rows, values, rowSize, hp.lr, hp.rho, hp.epsilon, Math.fround);
    }
    assert.deepEqual([...s.v.array()], [...ref.v]);
    assert.deepEqual([...s.eg.array()], [...ref.eg]);
    assert.deepEqual([...s.ed.array()], [...ref.ed]);
  });
}

test('float64 sparse equals the float64 reference (lr rounded to float32)', () => {
  const numRows = 30;
  const rowSize = 2;
  const hp = { lr: 0.003, rho: 0.95, epsilon: 1e-7 };
  const init = Float64Array.from({ length: numRows * rowSize }, (_, i) => 1 - i / 100);
  const s = makeState('plain', init, 'float64');
  const ref = { v: Float64Array.from(init), eg: new Float64Array(init.length), ed: new Float64Array(init.length) };
  for (let step = 0; step < 6; step++) {
    const { rows, values } = randomCase(step + 11, numRows, rowSize);
    kernels.sparse(s.v, s.eg, s.ed, Int32Array.from(rows), Float64Array.from(values), rowSize, hp);
    referenceSparse(ref.v, ref.eg, ref.ed, rows, values, rowSize, Math.fround(hp.lr), hp.rho, hp.epsilon, (x) => x);
  }
  assert.deepEqual([...s.v.array()], [...ref.v]);
  assert.deepEqual([...s.eg.array()], [...ref.eg]);
  assert.deepEqual([...s.ed.array()], [...ref.ed]);
});

test('rows without a gradient keep v but decay both accumulators', () => {
  const s = makeState('heap', [1, 1, 1]);
  s.eg.array().set([0.5, 0.5, 0.5]);
  s.ed.array().set([0.25, 0.25, 0.25]);
  kernels.sparse(s.v, s.eg, s.ed, new Int32Array([1]), new Float32Array([2]), 1, { lr: 1, rho: 0.5, epsilon: 1e-6 });
  const [v, eg, ed] = [s.v.array(), s.eg.array(), s.ed.array()];
  assert.deepEqual([v[0], v[2]], [1, 1]);
  assert.deepEqual([eg[0], eg[2]], [0.25, 0.25]); // 0.5 + (0.5-1)*0.5
  assert.deepEqual([ed[0], ed[2]], [0.125, 0.125]); // rho*Ed + 0 (delta is -0)
  assert.ok(v[1] < 1);
});

// Rows without a gradient skip the rule's square roots where Δx is surely −0; every state where it
// is not (NaN, ±∞, negative sums, −0, values near float32's overflow) and a negative lr must still
// give the rule's exact results, −0 and NaN included. float32 state in the heap runs the WASM SIMD
// kernel over the scattered rows (g = 0 on the others), outside it the JS loop.
// `simd: false` (jit_compile off) takes the JS loop with the state in the heap.
for (const [dtype, path, simd] of [
  ['float32', 'heap', true],
  ['float32', 'heap', false],
  ['float32', 'plain', true],
  ['float64', 'plain', true],
] as const) {
  test(`${dtype} sparse (${path}${simd ? '' : ', simd off'}): rows without a gradient in unusual states equal the reference bit for bit`, () => {
    const special = [NaN, Infinity, -Infinity, -0, 0, -1e-7, -2, 3.4e38, 1e-45, 0.5];
    const rowSize = special.length;
    const numRows = special.length * 2;
    const n = numRows * rowSize;
    const round = dtype === 'float32' ? Math.fround : (x: number) => x;
    const Arr = dtype === 'float32' ? Float32Array : Float64Array;
    // Row r, column j: v, E[g²] and E[Δx²] each run through the special values in a different order.
    const at = (r: number, j: number, shift: number) => special[(r + j * (shift + 1)) % special.length]!;
    const column = (shift: number) => Array.from({ length: n }, (_, i) => at(Math.floor(i / rowSize), i % rowSize, shift));
    const v0 = Arr.from(column(0));
    const eg0 = Arr.from(column(1));
    const ed0 = Arr.from(column(2));
    for (const lr of [0.7, -0.7]) {
      const hp = { lr, rho: 0.9, epsilon: 1e-6 };
      const s = makeState(path, v0, dtype);
      s.eg.array().set(eg0);
      s.ed.array().set(ed0);
      const ref = { v: Arr.from(v0), eg: Arr.from(eg0), ed: Arr.from(ed0) };
      const rows = [3, 7]; // the rest have no gradient
      const values = rows.flatMap((_, k) => special.map((_, j) => round(0.25 * (k + 1) - j / 8)));
      kernels.sparse(s.v, s.eg, s.ed, Int32Array.from(rows), Arr.from(values), rowSize, hp, { simd });
      const lrUsed = dtype === 'float32' ? lr : Math.fround(lr);
      referenceSparse(ref.v, ref.eg, ref.ed, rows, values, rowSize, lrUsed, hp.rho, hp.epsilon, round);
      for (const [name, got, want] of [
        ['v', s.v.array(), ref.v],
        ['E[g²]', s.eg.array(), ref.eg],
        ['E[Δx²]', s.ed.array(), ref.ed],
      ] as const)
        for (let i = 0; i < n; i++)
          assert.ok(Object.is(got[i], want[i]), `lr ${lr} ${name}[${i}]: ${got[i]} vs the reference's ${want[i]}`);
    }
  });
}

// The WASM path scatters a piece of whole rows at a time into its staging scratch: pieces of one row
// (rowSize above the staging size), of two rows, several rows with a short last piece, one piece.
test('float32 sparse (heap) in pieces of rows equals the reference bit for bit', () => {
  const seed = testSeed('adadelta sparse pieces');
  for (const [staging, rowSize] of [
    [4, 5],
    [6, 3],
    [64, 7],
    [1 << 14, 7],
  ] as const) {
    const numRows = 23;
    const kernelsInPieces = new FusedAdadelta(context.copies, { stagingElements: staging });
    const { rows, values } = randomCase(seed, numRows, rowSize);
    const init = Float32Array.from({ length: numRows * rowSize }, (_, i) => Math.fround(Math.sin(i + seed)));
    const s = makeState('heap', init);
    const ref = { v: Float32Array.from(init), eg: new Float32Array(init.length), ed: new Float32Array(init.length) };
    const hp = { lr: 0.5, rho: 0.95, epsilon: 1e-7 };
    for (let step = 0; step < 3; step++) {
      kernelsInPieces.sparse(s.v, s.eg, s.ed, Int32Array.from(rows), Float32Array.from(values), rowSize, hp);
      referenceSparse(ref.v, ref.eg, ref.ed, rows, values, rowSize, hp.lr, hp.rho, hp.epsilon, Math.fround);
    }
    for (const [name, got, want] of [
      ['v', s.v.array(), ref.v],
      ['E[g²]', s.eg.array(), ref.eg],
      ['E[Δx²]', s.ed.array(), ref.ed],
    ] as const)
      for (let i = 0; i < init.length; i++)
        assert.ok(Object.is(got[i], want[i]), `staging ${staging}, rowSize ${rowSize}: ${name}[${i}] ${got[i]} vs ${want[i]}`);
    kernelsInPieces.releaseScratch();
  }
});

test('sparse argument checks; a failed call leaves no stale row marks', () => {
  const s = makeState('heap', new Float32Array(8).fill(1));
  const hp = { lr: 1, rho: 0.95, epsilon: 1e-7 };
  const call = (rows: number[], rowSize = 2) =>
    kernels.sparse(s.v, s.eg, s.ed, Int32Array.from(rows), new Float32Array(rows.length * rowSize).fill(1), rowSize, hp);
  assert.throws(() => call([0, 2, 0]), /repeated/);
  assert.throws(() => call([1, 4]), /out of range/);
  assert.throws(() => call([-1]), /out of range/);
  assert.throws(() => call([0], 3), /rowSize/);
  assert.throws(() => kernels.sparse(s.v, s.eg, s.ed, new Int32Array([0]), new Float32Array(3), 2, hp), /values/);
  // Rows 0 and 2 were marked before the failures: they must be usable again.
  call([0, 2]);
  call([2, 0, 3, 1]);
  assert.ok(s.v.array().every((x) => x < 1));
});
