import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HostHeap, plainHostBuffer, wasmSimdSupported } from '../../../src/core/wasm/heap';

/** This file's heap: nothing else allocates from it, so its stats are this file's alone. */
const heap = new HostHeap();
const allocHostBuffer = heap.allocHost.bind(heap);
const allocHeapBuffer = heap.allocHeap.bind(heap);

test('SIMD wasm is available in this Node (the fused kernel relies on it)', () => {
  assert.equal(wasmSimdSupported(), true);
});

test('float32 buffers live in the heap, 16-byte aligned and zeroed', () => {
  const bufs = [1, 3, 4, 5, 17, 1000].map((n) => allocHostBuffer('float32', n));
  for (const b of bufs) {
    assert.equal(b.dtype, 'float32');
    assert.equal(b.inWasmHeap, true);
    assert.equal(b.byteOffset % 16, 0);
    const a = b.array();
    assert.ok(a instanceof Float32Array);
    assert.equal(a.buffer, heap.memory!.buffer);
    assert.equal(a.length, b.length);
    assert.ok(a.every((x) => x === 0));
  }
  // No two live buffers overlap.
  const spans = bufs.map((b) => [b.byteOffset, b.byteOffset + b.length * 4]).sort((x, y) => x[0] - y[0]);
  for (let i = 1; i < spans.length; i++) assert.ok(spans[i][0] >= spans[i - 1][1]);
  for (const b of bufs) b.free();
});

test('float64 buffers are plain Float64Arrays; a heap with placeInHeap false gives plain float32', () => {
  const d = allocHostBuffer('float64', 7);
  assert.equal(d.inWasmHeap, false);
  assert.ok(d.array() instanceof Float64Array);
  assert.equal(d.array().length, 7);
  const f = new HostHeap({ placeInHeap: false }).allocHost('float32', 5);
  assert.equal(f.inWasmHeap, false);
  assert.ok(f.array() instanceof Float32Array);
  const src = new Float32Array([1, 2, 3]);
  const wrapped = plainHostBuffer(src);
  assert.equal(wrapped.array(), src);
  assert.equal(wrapped.dtype, 'float32');
});

test('freed memory is reused and re-zeroed', () => {
  const a = allocHostBuffer('float32', 256);
  const off = a.byteOffset;
  a.array().fill(7);
  a.free();
  const b = allocHostBuffer('float32', 256);
  assert.equal(b.byteOffset, off);
  assert.ok(b.array().every((x) => x === 0));
  b.free();
});

test('adjacent free blocks coalesce', () => {
  const a = allocHostBuffer('float32', 64);
  const b = allocHostBuffer('float32', 64);
  const c = allocHostBuffer('float32', 64);
  assert.equal(b.byteOffset, a.byteOffset + 256);
  const aOff = a.byteOffset;
  const before = heap.stats()!.freeBlocks;
  a.free();
  b.free(); // merges with a
  assert.equal(heap.stats()!.freeBlocks, before + 1);
  const ab = allocHostBuffer('float32', 128); // fits exactly in the merged hole
  assert.equal(ab.byteOffset, aOff);
  ab.free();
  c.free(); // a+b+c merge back into the tail
  assert.equal(heap.stats()!.freeBlocks, before);
});

test('data survives memory growth; views are refreshed', () => {
  const a = allocHostBuffer('float32', 1000);
  for (let i = 0; i < 1000; i++) a.array()[i] = i * 0.5;
  const oldView = a.array();
  const committed = heap.stats()!.committedBytes;
  const big = allocHostBuffer('float32', 32 * 1024 * 1024); // 128 MiB forces a grow
  assert.ok(heap.stats()!.committedBytes > committed);
  assert.equal(oldView.byteLength, 0, 'the old view is detached by the grow');
  const fresh = a.array();
  for (let i = 0; i < 1000; i++) assert.equal(fresh[i], i * 0.5);
  const bv = big.array();
  for (let i = 0; i < bv.length; i += 4099) assert.equal(bv[i], 0);
  big.free();
  a.free();
});

test('use after free throws; double free is harmless', () => {
  const a = allocHostBuffer('float32', 4);
  a.free();
  a.free();
  assert.throws(() => a.array(), /after free/);
  assert.throws(() => a.byteOffset, /after free/); // the wasm path reads offsets, not views
});

test('allocations past 4 GiB are refused with a RangeError', () => {
  assert.throws(() => allocHeapBuffer(1.1e9), RangeError);
  const ok = allocHeapBuffer(16); // the heap is still usable
  ok.free();
});

test('bad lengths are rejected; zero length works', () => {
  assert.throws(() => allocHostBuffer('float32', -1), RangeError);
  assert.throws(() => allocHostBuffer('float32', 1.5), RangeError);
  const z = allocHostBuffer('float32', 0);
  assert.equal(z.array().length, 0);
  z.free();
});

test('two heaps are two memories: buffers, stats and compiled kernels are each their own', () => {
  const [a, b] = [new HostHeap(), new HostHeap()];
  assert.equal(a.memory, null, 'no memory before the first allocation');
  assert.equal(
    a.instance('k', () => new Uint8Array(0)),
    null,
    'nothing to bind a kernel to yet',
  );
  const x = a.allocHost('float32', 8);
  const y = b.allocHost('float32', 8);
  assert.notEqual(a.memory, b.memory);
  assert.equal(x.heap, a);
  assert.equal(y.heap, b);
  assert.equal(x.array().buffer, a.memory!.buffer);
  assert.equal(a.stats()!.usedBytes, 32);
  assert.equal(b.stats()!.usedBytes, 32);
  x.free();
  assert.equal(a.stats()!.usedBytes, 0);
  assert.equal(b.stats()!.usedBytes, 32, "freeing in one heap leaves the other's use");
  y.free();
});
