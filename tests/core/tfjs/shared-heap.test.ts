// The optimizer's heap inside tfjs-wasm's memory: buffers are blocks of the backend's memory, a
// resident tensor is the buffer itself (the fused kernel's in-place update is what the next matMul
// reads), views are re-made after the backend grows its memory, and one device's landed gradients
// survive that growth between backward's sink and the update.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../../../src/core/tfjs';
import { TfjsHeap, residentTensor, shareBackendHeap, unshareBackendHeap } from '../../../src/core/tfjs/shared-heap';
import { allocHostBuffer, plainHostBuffer, wasmHeapMemory } from '../../../src/core/optimizers/kernels/wasm-heap';
import { adadeltaDense, releaseKernelScratch } from '../../../src/core/optimizers/kernels/adadelta-fused';
import { Mesh } from '../../../src/core/dtensor/mesh';
import { Layout } from '../../../src/core/dtensor/layout';
import { planExchange } from '../../../src/core/collectives/exchange-plan';
import { ExchangeBuckets } from '../../../src/workers/gradient-exchange';
import { seededRandom, testSeed } from '../../helpers/seed';

const heapOf = () => (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.buffer;

/** Makes the backend's memory grow (a tensor larger than what it has committed), then frees the tensor. */
function growBackendMemory(): void {
  const before = heapOf().byteLength;
  const big = tf.zeros([before / 4 + (1 << 20)]);
  assert.ok(heapOf().byteLength > before, 'the backend memory grew');
  big.dispose();
}

test('the cpu backend has no heap to share: the reason says so', async () => {
  assert.equal((await selectBackend(['cpu'])).name, 'cpu');
  assert.equal(shareBackendHeap(), 'the backend is cpu, not wasm');
});

test('on wasm, optimizer buffers are zeroed blocks of the backend memory, and a resident tensor sees in-place updates', async () => {
  assert.equal((await selectBackend(['wasm'])).name, 'wasm');
  // Leave garbage in backend memory, so a block handed out from it must really be zeroed.
  tf.fill([4096], 7).dispose();
  assert.equal(shareBackendHeap(), null);
  const seed = testSeed('shared-heap');
  const rand = seededRandom(seed);
  const n = 6;
  const [v, eg, ed] = [allocHostBuffer('float32', n), allocHostBuffer('float32', n), allocHostBuffer('float32', n)];
  for (const b of [v, eg, ed]) {
    assert.equal(b.inWasmHeap, true);
    assert.equal(b.array().buffer, heapOf());
    assert.ok(b.array().every((x) => x === 0), 'zeroed');
  }
  assert.equal(wasmHeapMemory()!.buffer, heapOf());
  v.array().set(Array.from({ length: n }, () => rand() - 0.5));
  const kernel = residentTensor(v, [2, 3])!;
  assert.deepEqual([...kernel.dataSync()], [...v.array()]);

  // The same update on plain arrays (the float32 JS loop) is the reference for the in-place one.
  const ref = [plainHostBuffer(Float32Array.from(v.array())), plainHostBuffer(new Float32Array(n)), plainHostBuffer(new Float32Array(n))];
  const g = Float32Array.from({ length: n }, () => rand() - 0.5);
  const s = { lr: 1, rho: 0.95, epsilon: 1e-7 };
  adadeltaDense(ref[0]!, ref[1]!, ref[2]!, g, s, { simd: false });
  adadeltaDense(v, eg, ed, g, s); // the SIMD kernel, on the backend's memory
  assert.notDeepEqual([...v.array()], [...ref[1]!.array()]);
  assert.deepEqual([...v.array()], [...ref[0]!.array()]);
  // No upload since the update: the tensor is the buffer.
  const ones = tf.ones([3, 1]);
  const row = tf.matMul(kernel, ones).dataSync();
  const a = ref[0]!.array();
  assert.deepEqual([...row], [Math.fround(Math.fround(a[0]! + a[1]!) + a[2]!), Math.fround(Math.fround(a[3]! + a[4]!) + a[5]!)]);

  // Growth detaches old views; the buffers and the tensor keep their values.
  const stale = v.array();
  growBackendMemory();
  assert.equal(stale.byteLength, 0, 'an old view is detached');
  assert.deepEqual([...v.array()], [...ref[0]!.array()]);
  assert.deepEqual([...kernel.dataSync()], [...ref[0]!.array()]);

  assert.equal(unshareBackendHeap(), false, 'refused while shared buffers live');
  const tensors = tf.memory().numTensors;
  kernel.dispose();
  ones.dispose();
  assert.equal(tf.memory().numTensors, tensors - 2);
  assert.deepEqual([...v.array()], [...ref[0]!.array()], 'disposing the alias leaves the buffer');
  for (const b of [v, eg, ed]) b.free();
  releaseKernelScratch(); // the kernel staged g (a plain array) through a scratch buffer in the heap
  assert.equal(unshareBackendHeap(), true, 'no shared buffer left');
  assert.equal(shareBackendHeap(), null);
});

// One device lands each gradient in the optimizer's heap during backward; the rest of backward may
// grow the backend's memory. reduce() must hand the optimizer live views, not the detached ones the
// sink returned.
test('one device: gradients landed by sink() are still there after the backend memory grew', async () => {
  assert.equal((await selectBackend(['wasm'])).name, 'wasm');
  assert.equal(shareBackendHeap(), null);
  const mesh = Mesh.parse('batch=1');
  const plans = [planExchange('w', [3, 4], new Layout(['unsharded', 'unsharded'], mesh), 0), planExchange('b', [4], new Layout(['unsharded'], mesh), 0)];
  const exchange = new ExchangeBuckets(plans, 0);
  const grads = [Float32Array.from({ length: 12 }, (_, i) => i - 5.5), Float32Array.of(0.25, -1, 3, 8)];
  const sunk = grads.map((g, k) => exchange.sink(k, g));
  growBackendMemory();
  assert.equal(sunk[0]!.byteLength, 0, 'the views sink() returned are detached now');
  const out = await exchange.reduce(sunk.map((g) => g ?? undefined), undefined as never);
  assert.deepEqual(out.map((g) => [...g]), grads.map((g) => [...g]));
  assert.ok(out.every((g) => g.buffer === heapOf()), 'in the heap, for the kernel to read in place');
});

// tfjs-wasm's malloc returns 0 when its memory cannot grow, and tfjs does not check: a block at
// address 0 would silently overlap everything there. The heap refuses it in one line instead.
test('an allocation the backend memory cannot hold is a RangeError, not a block at address 0', () => {
  const memory = new WebAssembly.Memory({ initial: 1 });
  const disposed: object[] = [];
  const dataId = {};
  const full = {
    wasm: { asm: { memory }, HEAPU8: new Uint8Array(memory.buffer) },
    dataIdMap: { get: () => ({ memoryOffset: 0 }) },
    makeOutput: () => ({ dataId, shape: [1], dtype: 'float32' as const }),
    disposeData: (id: object) => (disposed.push(id), true),
    incRef: () => {},
  };
  const heap = new TfjsHeap(full, memory);
  assert.throws(() => heap.alloc(1 << 30), /wasm heap: cannot allocate 1073741824 bytes in the backend's memory/);
  assert.deepEqual(disposed, [dataId], 'the failed block is given back');
  assert.equal(heap.used, 0);
});
