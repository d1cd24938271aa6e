// The whole-sequence recurrent kernels (native/blas/rnn.c through core/tfjs/recurrence/op.ts) against
// the float64 reference of tests/helpers/recurrent-reference.ts: every cell (LSTM, GRU with reset_after
// on and off, SimpleRNN), every activation they fuse, masks, go_backwards, zero_output_for_mask, initial
// states; the outputs and final states, and the gradients of the input term, the recurrent kernel, the
// in-step bias and the initial states (central differences of the float64 scan).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '../../../../src/core/tfjs/gradients';
import { registerProjectKernels, selectBackend } from '../../../../src/core/tfjs';
import { fusedKernels, fusedRecurrence } from '../../../../src/core/tfjs/recurrence/op';
import type { FusedCell } from '../../../../src/core/tfjs/recurrence/sequence';
import { baselineNativeForTests, nativeForTests } from '../../../helpers/native-blas';
import {
  assertClose,
  gatesOfRef,
  numericGradient,
  referenceScan,
  statesOfRef,
  weighted,
  type RefSequence,
} from '../../../helpers/recurrent-reference';
import { seededRandom, testSeed } from '../../../helpers/seed';

const CELLS: FusedCell[] = [
  { kind: 'lstm', act: 'tanh', rec: 'sigmoid' },
  { kind: 'lstm', act: 'relu', rec: 'sigmoid' },
  { kind: 'gru', act: 'tanh', rec: 'sigmoid', resetAfter: true },
  { kind: 'gru', act: 'linear', rec: 'tanh', resetAfter: false },
  { kind: 'gru', act: 'tanh', rec: 'sigmoid', resetAfter: false },
  { kind: 'simple', act: 'tanh' },
  { kind: 'simple', act: 'sigmoid' },
  { kind: 'simple', act: 'relu' },
];
// finals false: the outputs alone (a return_sequences layer's own output), the final states' gradients 0.
const OPTIONS = [
  { masked: false, reverse: false, zeroOutput: false, init: false, bias: true, finals: true },
  { masked: true, reverse: true, zeroOutput: false, init: true, bias: true, finals: true },
  { masked: true, reverse: false, zeroOutput: true, init: true, bias: false, finals: true },
  { masked: true, reverse: true, zeroOutput: true, init: true, bias: true, finals: false },
];

// The addon as built, and built for the baseline instruction set (what a CPU without AVX2 runs).
const BUILDS = [
  { what: 'the native BLAS', ...nativeForTests() },
  { what: 'the native BLAS built without the AVX2 clones', ...baselineNativeForTests() },
];

for (const { what: build, native, skip } of BUILDS)
  describe(`whole-sequence recurrent kernels (wasm with ${build})`, { skip }, () => {
    before(async () => {
      const sel = await selectBackend(['wasm'], { native: native! });
      assert.ok(sel.nativeBlas);
    });
    after(() => registerProjectKernels());

    // 4 units fit in no AVX2 vector; 19 run the vector loops and their remainders.
    const SIZES = [
      { dims: [3, 5, 4], options: OPTIONS },
      { dims: [4, 6, 19], options: OPTIONS.slice(0, 2) },
    ];
    for (const { dims, options } of SIZES)
      for (const cell of CELLS)
        for (const o of options) {
          const [B, T, u] = dims as [number, number, number];
          const what = `[${dims}] ${JSON.stringify(cell)} ${JSON.stringify(o)}`;
          test(`${what}: outputs, final states and every gradient equal the float64 scan`, () => {
            const rand = seededRandom(testSeed(`recurrence ${what}`));
            const G = gatesOfRef(cell) * u;
            const S = statesOfRef(cell);
            const hasBias = o.bias && (cell.kind === 'lstm' || (cell.kind === 'gru' && cell.resetAfter));
            const values = (n: number, scale = 1) => Float32Array.from({ length: n }, () => (rand() * 2 - 1) * scale);
            const pre = values(B * T * G);
            // ~0.6 for 4 units, shrinking as 1/√units: a larger layer stays as well-conditioned (no chaotic growth).
            const U = values(u * G, 0.6 * Math.sqrt(4 / u));
            const bias = hasBias ? values(G) : null;
            const init = o.init ? Array.from({ length: S }, () => values(B * u)) : null;
            const keep = o.masked
              ? Array.from({ length: B }, (_, b) =>
                  Array.from({ length: T }, (_, t) => ((b === 0 && t === 2) || rand() < 0.3 ? 0 : 1)),
                )
              : null;
            const q: RefSequence = { batch: B, time: T, units: u, reverse: o.reverse, zeroOutput: o.zeroOutput, keep };
            const R = o.finals ? T + S : T; // rows per batch entry in the op's result
            const w = values(B * R * u);
            // The float64 scan's [B, T + S, u] → the op's rows; the loss weights back (0 on rows the op lacks).
            const rowsOf = (full: ArrayLike<number>) =>
              Array.from({ length: B * R * u }, (_, i) => full[Math.floor(i / (R * u)) * (T + S) * u + (i % (R * u))]!);
            const wFull = Array.from({ length: B * (T + S) * u }, (_, i) => {
              const [b, rest] = [Math.floor(i / ((T + S) * u)), i % ((T + S) * u)];
              return rest < R * u ? w[b * R * u + rest]! : 0;
            });
            const ref = (
              p: ArrayLike<number>,
              k: ArrayLike<number>,
              bi: ArrayLike<number> | null,
              st: ArrayLike<number>[] | null,
            ) => referenceScan(cell, q, p, k, bi, st);

            const inputs = [
              tf.tensor3d(pre, [B, T, G]),
              tf.tensor2d(U, [u, G]),
              ...(bias ? [tf.tensor1d(bias)] : []),
              ...(init ?? []).map((s) => tf.tensor2d(s, [B, u])),
            ];
            const before = tf.memory().numTensors;
            const run = (...xs: tf.Tensor[]) =>
              fusedRecurrence(fusedKernels()!, cell, xs[0]!, xs[1]!, bias ? xs[2]! : null, xs.slice(bias ? 3 : 2), {
                reverse: o.reverse,
                zeroOutput: o.zeroOutput,
                mask: keep ? tf.tensor2d(keep) : null,
                finals: o.finals,
              });
            const { value, grads } = tf.tidy(() => {
              const y = run(...inputs);
              const g = tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(run(...xs), tf.tensor(w, y.shape))))(inputs);
              return { value: y, grads: g };
            });
            assert.deepEqual(value.shape, [B, R, u]);
            assertClose(`${what} y`, value.dataSync(), rowsOf(ref(pre, U, bias, init)));

            const loss = (
              p: ArrayLike<number>,
              k: ArrayLike<number>,
              bi: ArrayLike<number> | null,
              st: ArrayLike<number>[] | null,
            ) => weighted(ref(p, k, bi, st), wFull);
            const wants = [
              numericGradient((p) => loss(p, U, bias, init), pre),
              numericGradient((k) => loss(pre, k, bias, init), U),
              ...(bias ? [numericGradient((bi) => loss(pre, U, bi, init), bias)] : []),
              ...(init ?? []).map((_, i) =>
                numericGradient(
                  (s) =>
                    loss(
                      pre,
                      U,
                      bias,
                      init!.map((x, j) => (j === i ? s : x)),
                    ),
                  init![i]!,
                ),
              ),
            ];
            const names = ['dPre', 'dKernel', ...(bias ? ['dBias'] : []), ...(init ?? []).map((_, i) => `dInit${i}`)];
            grads.forEach((g, i) => assertClose(`${what} ${names[i]}`, g.dataSync(), wants[i]!, 2e-5));
            tf.dispose([value, ...grads]);
            assert.equal(tf.memory().numTensors - before, 0, 'tensors leaked');
            tf.dispose(inputs);
          });
        }

    test('used only on wasm with the addon: fusedKernels is null on wasm without it and on cpu', async () => {
      assert.notEqual(fusedKernels(), null);
      await selectBackend(['wasm']);
      registerProjectKernels();
      assert.equal(fusedKernels(), null);
      await selectBackend(['cpu']);
      assert.equal(fusedKernels(), null);
      await selectBackend(['wasm'], { native: native! });
      assert.notEqual(fusedKernels(), null);
    });
  });
