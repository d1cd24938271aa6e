// The step's gradient-norm sum and 1/count scale: the same bits as the plain loops they replaced (one
// float64 accumulator in variable and index order; each element a float64 division rounded to float32).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StepExchange, type ExchangedGrad } from '../../src/workers/step-exchange';

const seed = Number(process.env.TEST_SEED ?? 5);
console.log(`step-exchange-loops seed ${seed} (set TEST_SEED to repeat)`);

function rand(s: number): () => number {
  let a = s >>> 0;
  return () => ((a = (Math.imul(a, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
}

function grads(): ExchangedGrad[] {
  const r = rand(seed);
  const dense = [1000, 3, 517].map((n) => Float32Array.from({ length: n }, () => r() * 10 ** Math.floor(r() * 6)));
  const sparse = { rows: Int32Array.of(4, 1, 4), values: Float32Array.from({ length: 6 }, () => r()), rowSize: 2 };
  return [dense[0]!, sparse, dense[1]!, dense[2]!];
}

test('sumOfSquares: owned dense shards and the de-duplicated sparse rows, summed in order in float64', () => {
  const gs = grads();
  const owns = (i: number) => i !== 2;
  const exchange = new StepExchange([], [], 0);
  let want = 0;
  for (const x of gs[0] as Float32Array) want += x * x;
  // sparse rows 4, 1, 4 de-duplicated (first appearance order, repeated rows summed in float32)
  const v = (gs[1] as { values: Float32Array }).values;
  const row4 = [Math.fround(v[0]! + v[4]!), Math.fround(v[1]! + v[5]!)];
  for (const x of [...row4, v[2]!, v[3]!]) want += x * x;
  for (const x of gs[3] as Float32Array) want += x * x;
  assert.equal(exchange.sumOfSquares(gs, owns, true), want);
  let dense = 0;
  for (const i of [0, 3]) for (const x of gs[i] as Float32Array) dense += x * x;
  assert.equal(exchange.sumOfSquares(gs, owns, false), dense, 'not the first device: no sparse rows');
});

test('scale divides every dense element by the total in place, as float64 then float32', () => {
  const gs = grads();
  const copies = gs.map((g) => (g instanceof Float32Array ? g.slice() : null));
  const out = StepExchange.scale(gs, 30);
  gs.forEach((g, i) => {
    if (!(g instanceof Float32Array)) return;
    assert.equal(out[i], g, 'in place');
    copies[i]!.forEach((x, j) => assert.ok(Object.is(g[j], Math.fround(x / 30)), `grad ${i}[${j}]`));
  });
});

test('sparseSquares: Σ g² of the sparse gradients only, in float64', () => {
  const gs = StepExchange.scale(grads(), 7, undefined, true); // rows 4, 1, 4 divided and de-duplicated
  const v = (grads()[1] as { values: Float32Array }).values;
  const q = (x: number) => Math.fround(x / 7);
  const rows = [Math.fround(q(v[0]!) + q(v[4]!)), Math.fround(q(v[1]!) + q(v[5]!)), q(v[2]!), q(v[3]!)];
  let want = 0;
  for (const x of rows) want += x * x;
  assert.equal(StepExchange.sparseSquares(gs), want);
});
