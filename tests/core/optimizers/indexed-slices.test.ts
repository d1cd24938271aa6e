// Sparse rows divided by the global count and de-duplicated in one pass (deduplicateDivided, used by the
// worker's StepExchange.scale when the optimizer's sparseRowsSummable says nothing before its own
// de-duplication touches the values): against the rows divided and summed by hand here (each quotient
// rounded to float32, then the sums in order of first appearance, each rounded), and the Adadelta update
// it feeds against the one the un-summed rows give, bit for bit; with clipping or a loss scale the
// optimizer says no (summing first would round differently) and the rows reach it as they came.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useCpuBackend } from '../../helpers/tf';
import { seededRandom, testSeed } from '../../helpers/seed';
import { Adadelta, IndexedSlices, Layout, Mesh, ShardedVariable, UNSHARDED, type AdadeltaArgs } from '../../../src/core';
import { deduplicateDivided, deduplicateSparse, type HostSparse } from '../../../src/core/optimizers/indexed-slices';
import { StepExchange } from '../../../src/workers/step-exchange';
import { HostHeap } from '../../../src/core/wasm/heap';

await useCpuBackend();

const bits = (a: ArrayLike<number>) => Array.from(a, (x) => (Object.is(x, -0) ? '-0' : String(x)));

/** rows divided by `total` and summed per id by hand: first appearance order; float32 rounds each step. */
function byHand(rows: number[], values: number[], rowSize: number, total: number, f32: boolean) {
  const r = f32 ? Math.fround : (x: number) => x;
  const order: number[] = [];
  const sums = new Map<number, number[]>();
  rows.forEach((id, i) => {
    const q = values.slice(i * rowSize, (i + 1) * rowSize).map((v) => r(v / total));
    const s = sums.get(id);
    if (s === undefined) {
      order.push(id);
      sums.set(id, q);
    } else q.forEach((v, j) => (s[j] = r(s[j]! + v)));
  });
  return { rows: order, values: order.flatMap((id) => sums.get(id)!) };
}

// With a heap, float32 rows go through the WASM SIMD kernel (f32x4 lanes, a scalar tail for row sizes
// not a multiple of 4); a count that is not exactly a float32 takes the JS loop.
const SPECIAL = [Infinity, -Infinity, NaN, 1e-45, -3e-39, 3.4e38, -3.4e38];
test('deduplicateDivided: the rows divided then summed by hand, float32 and float64, repeated ids or none', () => {
  const rand = seededRandom(testSeed('deduplicateDivided'));
  const cases = [
    { rows: [4, 1, 4, 0, 1, 4], rowSize: 3, total: 30 },
    { rows: [2, 0, 1], rowSize: 2, total: 30 }, // no repeats: the quotients as they are, −0 kept
    { rows: Array.from({ length: 200 }, () => Math.floor(rand() * 50)), rowSize: 5, total: 30 },
    { rows: Array.from({ length: 300 }, () => Math.floor(rand() * 40)), rowSize: 64, total: 32 },
    { rows: Array.from({ length: 300 }, () => Math.floor(rand() * 40)), rowSize: 7, total: 3 },
    { rows: [3, 1, 3, 3], rowSize: 4, total: 2 ** 24 + 1 }, // not a float32: the JS loop
  ];
  for (const heap of [undefined, new HostHeap()])
    for (const f32 of [true, false]) {
      for (const c of cases) {
        const values = Array.from({ length: c.rows.length * c.rowSize }, (_, i) =>
          i === 1 ? -0 : i % 97 === 5 ? SPECIAL[i % SPECIAL.length]! : (rand() - 0.5) * 10,
        );
        const sparse: HostSparse = {
          rows: Int32Array.from(c.rows),
          values: f32 ? Float32Array.from(values) : Float64Array.from(values),
          rowSize: c.rowSize,
        };
        const src = f32 ? Array.from(sparse.values) : values;
        const want = byHand(c.rows, src, c.rowSize, c.total, f32);
        const got = deduplicateDivided(sparse, c.total, heap);
        const what = `${f32 ? 'float32' : 'float64'} rows ${c.rows.length} of ${c.rowSize}${heap ? ', heap' : ''}`;
        assert.deepEqual(Array.from(got.rows), want.rows, what);
        assert.equal(got.values instanceof Float32Array, f32, `${what}: the values' type`);
        assert.deepEqual(bits(got.values), bits(want.values), what);
        assert.equal(got.rowSize, c.rowSize);
        // The optimizer's own de-duplication then has nothing left to do.
        assert.equal(deduplicateSparse(got), got, `${what}: already unique`);
      }
    }
});

/** One Adadelta apply of a sparse gradient on a 6×2 table; returns the table and both slots. */
async function applySparse(args: AdadeltaArgs, grad: HostSparse): Promise<string[][]> {
  const mesh = Mesh.parse('batch=1');
  const v = new ShardedVariable({
    name: 'table',
    globalShape: [6, 2],
    layout: new Layout([UNSHARDED, UNSHARDED], mesh),
    deviceId: 0,
    initialValue: [0.5, -1, 2, 0.25, -3, 1, 0, 4, 1.5, -0.5, 2.5, -2],
  });
  const opt = new Adadelta({ learningRate: 1, ...args, mesh });
  opt.build([v]);
  for (let t = 0; t < 2; t++) await opt.applyGradients([[new IndexedSlices(grad.values, grad.rows, [6, 2]), v]]);
  return [v, ...opt.variables.filter((x): x is ShardedVariable => x instanceof ShardedVariable && x !== v)].map((x) =>
    bits(x.readLocal()),
  );
}

test('StepExchange.scale: summing repeated rows first gives the optimizer the same bits; with clipping it would not, so it is not done', async () => {
  const rand = seededRandom(testSeed('scale sum repeated rows'));
  const rows = Int32Array.of(3, 0, 3, 5, 0, 3, 1);
  const values = Float32Array.from({ length: rows.length * 2 }, () => (rand() - 0.5) * 40);
  const scaled = (sum: boolean) => StepExchange.scale([{ rows, values, rowSize: 2 }], 7, undefined, sum)[0] as HostSparse;
  assert.equal(scaled(false).rows, rows, 'rows as they came');
  assert.deepEqual(Array.from(scaled(true).rows), [3, 0, 5, 1]);

  assert.equal(new Adadelta({}).sparseRowsSummable(), true);
  assert.deepEqual(await applySparse({}, scaled(true)), await applySparse({}, scaled(false)));

  // Clipping each incoming row's values (or undoing a loss scale) before the sum rounds differently.
  const clipped = { clipvalue: 0.5 };
  assert.notDeepEqual(await applySparse(clipped, scaled(true)), await applySparse(clipped, scaled(false)));
  for (const args of [
    clipped,
    { clipnorm: 1 },
    { globalClipnorm: 1 },
    { lossScaleFactor: 8 },
    { gradientAccumulationSteps: 2 },
  ]) {
    assert.equal(new Adadelta(args).sparseRowsSummable(), false, JSON.stringify(args));
  }
  // Clipping is an attribute a user may set later: the answer follows it.
  const later = new Adadelta({});
  later.clipnorm = 2;
  assert.equal(later.sparseRowsSummable(), false);
});
