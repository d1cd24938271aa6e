// The SIMD in-place division gives JS's Math.fround(x / d) bit for bit (NaN aside) for float32 x,
// integer divisors below 2^24 and inexact ones that are float32, with subnormals, ±0, ±∞, tails.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { divideInHeap } from '../../../../src/core/optimizers/kernels/divide-wasm';
import { HostHeap } from '../../../../src/core/wasm/heap';

const heap = new HostHeap();

const seed = Number(process.env.TEST_SEED ?? 21);
console.log(`divide-wasm seed ${seed} (set TEST_SEED to repeat)`);

function rand(s: number): () => number {
  let a = s >>> 0;
  return () => (a = (Math.imul(a, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

test('same bits as Math.fround(x / d) for random float32 bit patterns and divisors', () => {
  const r = rand(seed);
  const n = 4099; // a scalar tail after the f32x4 lanes
  const buf = heap.allocHost('float32', n + 3);
  const bits = new Uint32Array(n);
  for (let trial = 0; trial < 40; trial++) {
    const d = trial < 30 ? 1 + Math.floor(r() * (2 ** 24 - 1)) : Math.fround(r() * 1e3 + 1e-3);
    const a = (buf.array() as Float32Array).subarray(trial % 4, (trial % 4) + n); // unaligned starts too
    for (let i = 0; i < n; i++) bits[i] = Math.floor(r() * 2 ** 32);
    new Uint32Array(a.buffer, a.byteOffset, n).set(bits);
    a.set([0, -0, Infinity, -Infinity, 1e-45, -3e-39, 3.4e38, 1], 0);
    const want = Float32Array.from(a, (x) => Math.fround(x / d));
    assert.ok(divideInHeap(heap, a, d));
    for (let i = 0; i < n; i++) {
      if (Number.isNaN(want[i]!)) assert.ok(Number.isNaN(a[i]!), `[${i}] NaN`);
      else assert.ok(Object.is(a[i], want[i]), `d=${d} [${i}]: ${a[i]} vs ${want[i]}`);
    }
  }
  buf.free();
});

test('refuses what it cannot do exactly: arrays outside the heap, divisors that are not float32', () => {
  assert.equal(divideInHeap(new HostHeap(), new Float32Array([1, 2]), 2), false, 'a heap with no memory yet');
  const plain = new Float32Array([1, 2, 3]);
  assert.equal(divideInHeap(heap, plain, 3), false);
  assert.deepEqual([...plain], [1, 2, 3]);
  const buf = heap.allocHost('float32', 3);
  const a = buf.array() as Float32Array;
  a.set([1, 2, 3]);
  assert.equal(divideInHeap(heap, a, 2 ** 24 + 1), false);
  assert.equal(divideInHeap(heap, a, 0.1), false);
  assert.deepEqual([...a], [1, 2, 3]);
  buf.free();
});
