// The fused categorical crossentropy (core/models/keras/crossentropy.ts) against Keras 3's JAX formula
// written here in float64 — q = p / Σp clipped to [1e-7, 1 − 1e-7], or log_softmax for logits, label
// smoothing t·(1 − s) + s / C — and its gradient against central differences of that formula, on every
// backend a worker can run it on (wasm with and without the native BLAS, cpu), sparse and dense
// targets, probabilities (clipped rows included) and logits, rank-2 and rank-3 outputs.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '../../../../src/core/tfjs/gradients';
import { registerProjectKernels, selectBackend } from '../../../../src/core/tfjs';
import { crossentropy, type CrossentropyTargets } from '../../../../src/core/models/keras/crossentropy';
import { nativeForTests } from '../../../helpers/native-blas';
import { assertClose } from '../../../helpers/recurrent-reference';
import { seededRandom, testSeed } from '../../../helpers/seed';

const EPS = 1e-7;

/** Keras's loss of one row in float64 (keras/src/backend/jax/nn.py categorical_crossentropy). */
function referenceRow(x: ArrayLike<number>, t: number[], fromLogits: boolean): number {
  const row = Array.from(x);
  let logProb: number[];
  if (fromLogits) {
    const m = Math.max(...row);
    const lse = m + Math.log(row.reduce((a, v) => a + Math.exp(v - m), 0));
    logProb = row.map((v) => v - lse);
  } else {
    const s = row.reduce((a, v) => a + v, 0);
    logProb = row.map((v) => Math.log(Math.min(Math.max(v / s, Math.fround(EPS)), Math.fround(1 - EPS))));
  }
  return -logProb.reduce((a, l, j) => a + t[j]! * l, 0);
}

/** Central differences, each step at most a tenth of its value (no step carries a tiny probability across a clip bound). */
function numericGradient(fn: (x: Float64Array) => number, x: ArrayLike<number>): Float64Array {
  const at = Float64Array.from(x);
  return at.map((v, i) => {
    const h = Math.min(1e-6, Math.abs(v) / 10);
    at[i] = v + h;
    const up = fn(at);
    at[i] = v - h;
    const down = fn(at);
    at[i] = v;
    return (up - down) / (2 * h);
  });
}

const smoothed = (t: number[], s: number) => t.map((v) => v * (1 - s) + s / t.length);

interface Case {
  name: string;
  shape: number[];
  fromLogits: boolean;
  labelSmoothing: number;
  sparse: boolean;
  /** Rows to put in place of random ones (probabilities a clip bound cuts). */
  fixedRows?: number[][];
}

const CASES: Case[] = [
  { name: 'sparse, probabilities', shape: [6, 5], fromLogits: false, labelSmoothing: 0, sparse: true },
  { name: 'sparse, logits', shape: [6, 5], fromLogits: true, labelSmoothing: 0, sparse: true },
  { name: 'sparse, probabilities, smoothing 0.1', shape: [4, 7], fromLogits: false, labelSmoothing: 0.1, sparse: true },
  { name: 'dense, probabilities', shape: [5, 4], fromLogits: false, labelSmoothing: 0, sparse: false },
  { name: 'dense, logits, smoothing 0.2', shape: [5, 4], fromLogits: true, labelSmoothing: 0.2, sparse: false },
  { name: 'sparse, logits, rank 3', shape: [2, 3, 4], fromLogits: true, labelSmoothing: 0, sparse: true },
  { name: 'dense, probabilities, rank 3', shape: [2, 3, 4], fromLogits: false, labelSmoothing: 0.1, sparse: false },
  {
    // Row 0's class 1 and row 1's classes 1, 2 are below ε after renormalising; row 2's class 0 above 1 − ε.
    name: 'sparse, clipped probabilities',
    shape: [3, 3],
    fromLogits: false,
    labelSmoothing: 0,
    sparse: true,
    fixedRows: [
      [0.6, 1e-9, 0.4],
      [0.9, 1e-9, 2e-9],
      [1, 1e-9, 1e-9],
    ],
  },
];

function caseData(c: Case, rand: () => number) {
  const classes = c.shape[c.shape.length - 1]!;
  const rows = c.shape.reduce((a, b) => a * b, 1) / classes;
  const x = new Float32Array(rows * classes).map(() => (c.fromLogits ? 4 * rand() - 2 : 0.05 + rand()));
  c.fixedRows?.forEach((row, r) => x.set(row, r * classes));
  const ids = Int32Array.from({ length: rows }, (_, r) => (c.fixedRows ? r % classes : Math.floor(rand() * classes)));
  const dense = new Float32Array(rows * classes).map(() => rand());
  const targets: CrossentropyTargets = c.sparse ? { ids } : { rows: dense };
  const targetOf = (r: number) =>
    smoothed(
      c.sparse
        ? Array.from({ length: classes }, (_, j) => (j === ids[r] ? 1 : 0))
        : Array.from(dense.subarray(r * classes, (r + 1) * classes)),
      c.labelSmoothing,
    );
  const weights = Float64Array.from({ length: rows }, () => rand() + 0.5); // the upstream gradient per row
  return { classes, rows, x, targets, targetOf, weights };
}

const BACKENDS = [
  { name: 'wasm with the native BLAS', backend: 'wasm' as const, ...nativeForTests() },
  { name: 'wasm', backend: 'wasm' as const, native: null, skip: false as const },
  { name: 'cpu', backend: 'cpu' as const, native: null, skip: false as const },
];

for (const b of BACKENDS)
  describe(`fused categorical crossentropy on ${b.name}`, { skip: b.skip }, () => {
    test('each row and its gradient equal the float64 formula (Keras on JAX)', async () => {
      await selectBackend([b.backend], b.native ? { native: b.native } : {});
      registerProjectKernels();
      const rand = seededRandom(testSeed(`crossentropy on ${b.name}`));
      for (const c of CASES) {
        const { classes, rows, x, targets, targetOf, weights } = caseData(c, rand);
        const form = { fromLogits: c.fromLogits, labelSmoothing: c.labelSmoothing };
        const before = tf.memory().numTensors;
        const input = tf.tensor(x, c.shape);
        const loss = crossentropy(input, targets, form);
        assert.deepEqual(loss.shape, c.shape.slice(0, -1), c.name);
        const losses = Array.from({ length: rows }, (_, r) =>
          referenceRow(x.subarray(r * classes, (r + 1) * classes), targetOf(r), c.fromLogits),
        );
        assertClose(`${c.name}: loss`, loss.dataSync(), losses, 1e-6);
        const w = tf.tensor(Float32Array.from(weights), loss.shape);
        const grad = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(crossentropy(t, targets, form), w)))(input);
        // Row by row (a clipped row's large loss would drown a neighbour's differences in rounding).
        const want = new Float64Array(x.length);
        for (let r = 0; r < rows; r++) {
          const rowLoss = (v: Float64Array) => weights[r]! * referenceRow(v, targetOf(r), c.fromLogits);
          want.set(numericGradient(rowLoss, x.subarray(r * classes, (r + 1) * classes)), r * classes);
        }
        assertClose(`${c.name}: gradient`, grad.dataSync(), want, 1e-5);
        tf.dispose([input, loss, w, grad]);
        assert.equal(tf.memory().numTensors, before, `${c.name}: tensors leaked`);
      }
    });
  });

test('a clipped class passes no gradient through the clip (only through the renormalising sum)', async () => {
  await selectBackend(['cpu']);
  // Class 2 (target) is cut to 1 − ε: its loss is −log(1 − ε) whatever p is, so the gradient is 0.
  const p = tf.tensor2d([[1e-9, 1e-9, 1]]);
  const g = tf.grad((t: tf.Tensor) => tf.sum(crossentropy(t, { ids: [2] }, { fromLogits: false, labelSmoothing: 0 })))(p);
  assert.deepEqual(
    Array.from(g.dataSync(), (v) => v + 0),
    [0, 0, 0],
  ); // −0 is 0 here
  const loss = crossentropy(p, { ids: [2] }, { fromLogits: false, labelSmoothing: 0 }).dataSync()[0]!;
  assert.ok(Math.abs(loss + Math.log(Math.fround(1 - EPS))) < 1e-12, `loss ${loss}`);
  tf.dispose([p, g]);
});
