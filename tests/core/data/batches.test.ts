import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  epochPermutation,
  gatherRows,
  globalBatchIndices,
  localBatchIndices,
  localSlice,
  stepsPerEpoch,
} from '../../../src/core/data/batches';
import type { Dataset } from '../../../src/core/data/types';

function isPermutation(p: Uint32Array, n: number): boolean {
  if (p.length !== n) return false;
  const seen = new Uint8Array(n);
  for (const v of p) {
    if (v >= n || seen[v]) return false;
    seen[v] = 1;
  }
  return true;
}

test('epochPermutation is a valid permutation for many sizes', () => {
  for (const n of [0, 1, 2, 3, 7, 100, 1001]) {
    for (const epoch of [0, 1, 5]) assert.ok(isPermutation(epochPermutation(n, 42, epoch), n), `n=${n} epoch=${epoch}`);
  }
});

test('epochPermutation is deterministic and differs by seed and epoch', () => {
  const a = epochPermutation(1000, 7, 3);
  assert.deepEqual(a, epochPermutation(1000, 7, 3));
  assert.notDeepEqual(a, epochPermutation(1000, 7, 4));
  assert.notDeepEqual(a, epochPermutation(1000, 8, 3));
  assert.notDeepEqual(a, epochPermutation(1000, 7 + 2 ** 32, 3)); // high seed bits count
  // Not the identity, and roughly uniform: element 0 lands in each half about equally often.
  let firstHalf = 0;
  for (let e = 0; e < 400; e++) if (epochPermutation(10, 1, e).indexOf(0) < 5) firstHalf++;
  assert.ok(firstHalf > 150 && firstHalf < 250, `first half ${firstHalf}/400`);
});

test('epochPermutation pins its exact output (a change would break resuming older runs)', () => {
  assert.deepEqual(Array.from(epochPermutation(12, 1234, 2)), [8, 7, 6, 11, 5, 3, 1, 4, 10, 2, 9, 0]);
});

test('one epoch of global batches covers each example at most once (dropRemainder)', () => {
  const n = 103;
  const B = 10;
  assert.equal(stepsPerEpoch(n, B), 10);
  const seen = new Uint8Array(n);
  for (let step = 0; step < 10; step++) {
    const b = globalBatchIndices(n, B, 5, step);
    assert.equal(b.length, B);
    for (const i of b) {
      assert.equal(seen[i], 0);
      seen[i] = 1;
    }
  }
  // Step 10 starts epoch 1, with a new order.
  assert.deepEqual(globalBatchIndices(n, B, 5, 10), epochPermutation(n, 5, 1).slice(0, B));
});

test('without dropRemainder the last batch of an epoch is smaller and covers the rest', () => {
  assert.equal(stepsPerEpoch(103, 10, { dropRemainder: false }), 11);
  const last = globalBatchIndices(103, 10, 5, 10, { dropRemainder: false });
  assert.deepEqual(last, epochPermutation(103, 5, 0).slice(100));
  assert.deepEqual(globalBatchIndices(103, 10, 5, 11, { dropRemainder: false }), epochPermutation(103, 5, 1).slice(0, 10));
});

test('resuming at step k gives exactly the batches of an uninterrupted run', () => {
  const n = 57;
  const B = 8;
  const uninterrupted: Uint32Array[] = [];
  for (let s = 0; s < 40; s++) uninterrupted.push(globalBatchIndices(n, B, 99, s));
  // A "fresh process": other calls in between (other datasets, seeds) must not matter.
  globalBatchIndices(1000, 3, 1, 500);
  globalBatchIndices(n, B, 98, 17);
  for (const k of [0, 1, 6, 7, 13, 39]) {
    for (let s = k; s < 40; s++) assert.deepEqual(globalBatchIndices(n, B, 99, s), uninterrupted[s], `resume ${k}, step ${s}`);
  }
  // Backwards order too (no hidden iteration state).
  for (let s = 39; s >= 0; s--) assert.deepEqual(globalBatchIndices(n, B, 99, s), uninterrupted[s]);
});

test('returned batches are copies (mutating one does not change the next call)', () => {
  const a = globalBatchIndices(50, 5, 3, 2);
  const copy = a.slice();
  a.fill(0);
  assert.deepEqual(globalBatchIndices(50, 5, 3, 2), copy);
});

test('localSlice has numpy array_split semantics', () => {
  assert.deepEqual(
    [0, 1, 2].map((r) => localSlice(10, 3, r)),
    [
      { start: 0, size: 4 },
      { start: 4, size: 3 },
      { start: 7, size: 3 },
    ],
  );
  assert.deepEqual(
    [0, 1, 2, 3].map((r) => localSlice(2, 4, r)),
    [
      { start: 0, size: 1 },
      { start: 1, size: 1 },
      { start: 2, size: 0 },
      { start: 2, size: 0 },
    ],
  );
  for (let B = 0; B <= 17; B++) {
    for (let N = 1; N <= 5; N++) {
      let next = 0;
      for (let r = 0; r < N; r++) {
        const { start, size } = localSlice(B, N, r);
        assert.equal(start, next);
        assert.ok(size === Math.floor(B / N) || size === Math.ceil(B / N));
        next = start + size;
      }
      assert.equal(next, B);
    }
  }
});

test('concatenated local slices equal the global batch for N = 1..4 (device-count independence)', () => {
  for (const B of [8, 10, 13]) {
    for (let step = 0; step < 25; step++) {
      const global = globalBatchIndices(101, B, 2024, step);
      for (let N = 1; N <= 4; N++) {
        const parts: number[] = [];
        for (let rank = 0; rank < N; rank++) parts.push(...localBatchIndices(101, B, 2024, step, N, rank));
        assert.deepEqual(parts, Array.from(global), `B=${B} step=${step} N=${N}`);
      }
    }
  }
});

test('argument validation', () => {
  assert.throws(
    () => globalBatchIndices(10, 11, 0, 0),
    /global batch size 11 is larger than the dataset \(10 examples\) with dropRemainder/,
  );
  assert.throws(() => globalBatchIndices(10, 0, 0, 0), /globalBatchSize must be an integer >= 1/);
  assert.throws(() => globalBatchIndices(10, 2, 0, -1), /step must be an integer >= 0/);
  assert.throws(() => globalBatchIndices(10, 2, 0.5, 0), /seed must be a safe integer/);
  assert.throws(() => localSlice(8, 2, 2), /rank 2 is out of range for 2 workers/);
  assert.throws(() => localSlice(8, 0, 0), /numWorkers must be an integer >= 1/);
});

const tiny: Dataset = {
  name: 'tiny',
  numExamples: 4,
  featureShape: [2],
  x: Float32Array.from([0, 1, 10, 11, 20, 21, 30, 31]),
  y: Int32Array.from([0, 1, 0, 1]),
  task: 'classification',
  numClasses: 2,
};

test('gatherRows copies features and labels in index order', () => {
  const { x, y } = gatherRows(tiny, Uint32Array.from([3, 0, 3]));
  assert.deepEqual(Array.from(x), [30, 31, 0, 1, 30, 31]);
  assert.ok(y instanceof Int32Array);
  assert.deepEqual(Array.from(y), [1, 0, 1]);
  assert.throws(() => gatherRows(tiny, [4]), /row index 4 is out of range for dataset 'tiny' \(4 examples\)/);
});

test('gatherRows handles multi-output regression targets', () => {
  const reg: Dataset = {
    ...tiny,
    y: Float32Array.from([0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5]),
    task: 'regression',
    targetDim: 2,
    numClasses: undefined,
  };
  const { y } = gatherRows(reg, [2, 1]);
  assert.ok(y instanceof Float32Array);
  assert.deepEqual(Array.from(y), [2, 2.5, 1, 1.5]);
});

test('shuffle: false reads the file order, step t = rows t·B … t·B+B−1 wrapping around the end (Keras fit(shuffle=False))', () => {
  const n = 10;
  const B = 4;
  const expected = (t: number) => Array.from({ length: B }, (_, i) => (t * B + i) % n);
  for (let t = 0; t < 12; t++)
    assert.deepEqual([...globalBatchIndices(n, B, 99, t, { shuffle: false })], expected(t), `step ${t}`);
  assert.deepEqual([...globalBatchIndices(n, B, 1, 2, { shuffle: false })], [8, 9, 0, 1]);
  // A huge step still lands where modular arithmetic says.
  assert.deepEqual(
    [...globalBatchIndices(7, 3, 0, 2 ** 40 + 1, { shuffle: false })],
    [(((2 ** 40 + 1) % 7) * 3) % 7, (((2 ** 40 + 1) % 7) * 3 + 1) % 7, (((2 ** 40 + 1) % 7) * 3 + 2) % 7],
  );
  assert.throws(() => globalBatchIndices(3, 4, 0, 0, { shuffle: false }), /larger than the dataset/);
});

test('shuffle: false on 1 and 3 devices: each device reads its contiguous slice, together the global batch in order', () => {
  const n = 23;
  const B = 8;
  for (let t = 0; t < 7; t++) {
    const global = Array.from({ length: B }, (_, i) => (t * B + i) % n);
    assert.deepEqual([...localBatchIndices(n, B, 5, t, 1, 0, { shuffle: false })], global);
    const parts = [0, 1, 2].map((r) => [...localBatchIndices(n, B, 5, t, 3, r, { shuffle: false })]);
    assert.deepEqual(
      parts.map((p) => p.length),
      [3, 3, 2],
    );
    assert.deepEqual(parts.flat(), global, `step ${t}`);
  }
  // The default stays the seeded shuffle.
  assert.notDeepEqual([...globalBatchIndices(n, B, 5, 0)], [0, 1, 2, 3, 4, 5, 6, 7]);
});
