// A gradient outside the wasm heap is staged into the kernel's heap in pieces: every piece size
// gives the bits of a gradient that already lives in the heap, and the meter counts one copy of it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FusedAdadelta } from '../../../../src/core/optimizers/kernels/adadelta-fused';
import { CopyMeter } from '../../../../src/core/metering/copy-meter';
import { context, freeState, heap, kernels, makeState } from './helpers';

const seed = Number(process.env.TEST_SEED ?? 12);
console.log(`adadelta-staging seed ${seed} (set TEST_SEED to repeat)`);

function rand(s: number): () => number {
  let a = s >>> 0;
  return () => ((a = (Math.imul(a, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
}

const HP = { lr: 0.7, rho: 0.9, epsilon: 1e-6 };

test('a Float32Array view of heap memory is read in place, with the same bits as its heap buffer', () => {
  const r = rand(seed + 1);
  const n = 517;
  const init = Float32Array.from({ length: n }, () => r());
  const a = makeState('heap', init);
  const b = makeState('heap', init);
  const g = heap.allocHost('float32', n);
  for (let step = 0; step < 3; step++) {
    (g.array() as Float32Array).forEach((_, i, arr) => (arr[i] = r() * 1e-2));
    kernels.dense(a.v, a.eg, a.ed, g, HP);
    kernels.dense(b.v, b.eg, b.ed, (g.array() as Float32Array).subarray(0, n), HP);
  }
  for (const k of ['v', 'eg', 'ed'] as const) assert.deepEqual(a[k].array(), b[k].array(), k);
  freeState(a);
  freeState(b);
  g.free();
});

for (const Ctor of [Float32Array, Float64Array]) {
  test(`staged ${Ctor.name} gradients (pieces 1, 7, 64, whole) equal an in-heap gradient bit for bit`, () => {
    const r = rand(seed);
    const n = 1003;
    const init = Float32Array.from({ length: n }, () => r());
    const grads = [0, 1, 2].map(() => {
      const g = new Ctor(n);
      for (let i = 0; i < n; i++) g[i] = r() * 1e-2;
      return g;
    });
    const reference = makeState('heap', init);
    const gHeap = heap.allocHost('float32', n);
    for (const g of grads) {
      gHeap.array().set(g);
      kernels.dense(reference.v, reference.eg, reference.ed, gHeap, HP);
    }
    for (const piece of [1, 7, 64, 5000]) {
      const s = makeState('heap', init);
      const staged = new FusedAdadelta(context.copies, { stagingElements: piece });
      for (const g of grads) staged.dense(s.v, s.eg, s.ed, g, HP);
      staged.releaseScratch();
      for (const k of ['v', 'eg', 'ed'] as const) {
        const a = new Uint32Array((s[k].array() as Float32Array).slice().buffer);
        const b = new Uint32Array((reference[k].array() as Float32Array).slice().buffer);
        assert.deepEqual(a, b, `piece ${piece}: ${k}`);
      }
      freeState(s);
    }
    freeState(reference);
    gHeap.free();
  });
}

test('the copy meter counts a staged gradient once (4 bytes an element), an in-heap one (buffer or view) not at all', () => {
  const n = 300;
  const s = makeState('heap', new Float32Array(n).fill(1));
  const inHeap = heap.allocHost('float32', n);
  const meter = new CopyMeter(); // the kernels' own: nothing else counts on it
  const staged = new FusedAdadelta(meter, { stagingElements: 7 });
  staged.dense(s.v, s.eg, s.ed, new Float32Array(n).fill(0.5), HP);
  assert.equal(meter.totals().kernel, n * 4);
  staged.dense(s.v, s.eg, s.ed, inHeap, HP);
  staged.dense(s.v, s.eg, s.ed, inHeap.array() as Float32Array, HP); // a plain view of heap memory
  assert.deepEqual(meter.totals(), { download: 0, upload: 0, pack: 0, shard: 0, kernel: n * 4 });
});
