// The whole-sequence recurrent op given x and the input kernel W (core/tfjs/recurrence/op.ts's
// projection: pre = x·W by one sgemm inside the op, dx and dW from dPre by two) against the float64
// reference of tests/helpers/recurrent-reference.ts on pre = x·W in float64: the outputs and final
// states, and the gradients of x, W, the recurrent kernel, the bias and the initial states (central
// differences of the float64 scan), for every cell, with masks, go_backwards and initial states.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '../../../../src/core/tfjs/gradients';
import { registerProjectKernels, selectBackend } from '../../../../src/core/tfjs';
import { activeNativeGemm } from '../../../../src/core/tfjs/kernels';
import { fusedKernels, fusedRecurrence } from '../../../../src/core/tfjs/recurrence/op';
import type { FusedCell } from '../../../../src/core/tfjs/recurrence/sequence';
import { nativeForTests } from '../../../helpers/native-blas';
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
  { kind: 'gru', act: 'tanh', rec: 'sigmoid', resetAfter: true },
  { kind: 'simple', act: 'tanh' },
];
// last: the last step's output alone ([batch, units]), as a return_sequences=False layer takes it.
const OPTIONS = [
  { masked: false, reverse: false, init: false, finals: true, last: false },
  { masked: true, reverse: true, init: true, finals: false, last: false },
  { masked: true, reverse: false, init: true, finals: false, last: true },
  { masked: false, reverse: true, init: false, finals: false, last: true },
];

/** x [B·T, D] · W [D, G] in float64. */
function times(x: ArrayLike<number>, W: ArrayLike<number>, rows: number, D: number, G: number): Float64Array {
  const out = new Float64Array(rows * G);
  for (let r = 0; r < rows; r++)
    for (let d = 0; d < D; d++) for (let g = 0; g < G; g++) out[r * G + g]! += x[r * D + d]! * W[d * G + g]!;
  return out;
}

const { native, skip } = nativeForTests();

describe('whole-sequence recurrent op computing x·W itself (wasm with the native BLAS)', { skip }, () => {
  before(async () => {
    const sel = await selectBackend(['wasm'], { native: native! });
    assert.ok(sel.nativeBlas);
  });
  after(() => registerProjectKernels());

  for (const cell of CELLS)
    for (const o of OPTIONS) {
      const [B, T, u, D] = [3, 5, 4, 6];
      const what = `${JSON.stringify(cell)} ${JSON.stringify(o)}`;
      test(`${what}: outputs, final states and the gradients of x, W and the rest equal the float64 scan`, () => {
        const rand = seededRandom(testSeed(`projected recurrence ${what}`));
        const G = gatesOfRef(cell) * u;
        const S = statesOfRef(cell);
        const hasBias = cell.kind !== 'simple';
        const values = (n: number, scale = 1) => Float32Array.from({ length: n }, () => (rand() * 2 - 1) * scale);
        const x = values(B * T * D);
        const W = values(D * G, 0.5);
        const U = values(u * G, 0.6);
        const bias = hasBias ? values(G) : null;
        const init = o.init ? Array.from({ length: S }, () => values(B * u)) : null;
        const keep = o.masked
          ? Array.from({ length: B }, (_, b) =>
              Array.from({ length: T }, (_, t) => ((b === 0 && t === 2) || rand() < 0.3 ? 0 : 1)),
            )
          : null;
        const q: RefSequence = { batch: B, time: T, units: u, reverse: o.reverse, zeroOutput: false, keep };
        // The op's rows per batch entry, and which row of the float64 scan's [B, T + S, u] each one is.
        const R = o.last ? 1 : o.finals ? T + S : T;
        const fullRow = (r: number) => (o.last ? T - 1 : r);
        const w = values(B * R * u);
        const wFull = new Float64Array(B * (T + S) * u);
        const rowsOf = (full: ArrayLike<number>) => {
          const rows = new Float64Array(B * R * u);
          for (let b = 0; b < B; b++)
            for (let r = 0; r < R; r++)
              for (let j = 0; j < u; j++) rows[(b * R + r) * u + j] = full[(b * (T + S) + fullRow(r)) * u + j]!;
          return rows;
        };
        for (let b = 0; b < B; b++)
          for (let r = 0; r < R; r++)
            for (let j = 0; j < u; j++) wFull[(b * (T + S) + fullRow(r)) * u + j] = w[(b * R + r) * u + j]!;
        const ref = (
          xs: ArrayLike<number>,
          ws: ArrayLike<number>,
          k: ArrayLike<number>,
          bi: ArrayLike<number> | null,
          st: ArrayLike<number>[] | null,
        ) => referenceScan(cell, q, times(xs, ws, B * T, D, G), k, bi, st);

        const inputs = [
          tf.tensor3d(x, [B, T, D]),
          tf.tensor2d(W, [D, G]),
          tf.tensor2d(U, [u, G]),
          ...(bias ? [tf.tensor1d(bias)] : []),
          ...(init ?? []).map((s) => tf.tensor2d(s, [B, u])),
        ];
        const before = tf.memory().numTensors;
        const run = (...xs: tf.Tensor[]) =>
          fusedRecurrence(
            fusedKernels()!,
            cell,
            xs[0]!,
            xs[2]!,
            bias ? xs[3]! : null,
            xs.slice(bias ? 4 : 3),
            { reverse: o.reverse, zeroOutput: false, mask: keep ? tf.tensor2d(keep) : null, finals: o.finals, last: o.last },
            { weights: xs[1]!, gemm: activeNativeGemm()! },
          );
        const { value, grads } = tf.tidy(() => {
          const y = run(...inputs);
          const g = tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(run(...xs), tf.tensor(w, y.shape))))(inputs);
          return { value: y, grads: g };
        });
        assert.deepEqual(value.shape, o.last ? [B, u] : [B, R, u]);
        assertClose(`${what} y`, value.dataSync(), rowsOf(ref(x, W, U, bias, init)));
        const loss = (
          xs: ArrayLike<number>,
          ws: ArrayLike<number>,
          k: ArrayLike<number>,
          bi: ArrayLike<number> | null,
          st: ArrayLike<number>[] | null,
        ) => weighted(ref(xs, ws, k, bi, st), wFull);
        const wants = [
          numericGradient((v) => loss(v, W, U, bias, init), x),
          numericGradient((v) => loss(x, v, U, bias, init), W),
          numericGradient((v) => loss(x, W, v, bias, init), U),
          ...(bias ? [numericGradient((v) => loss(x, W, U, v, init), bias)] : []),
          ...(init ?? []).map((_, i) =>
            numericGradient(
              (v) =>
                loss(
                  x,
                  W,
                  U,
                  bias,
                  init!.map((s, j) => (j === i ? v : s)),
                ),
              init![i]!,
            ),
          ),
        ];
        const names = ['dx', 'dW', 'dKernel', ...(bias ? ['dBias'] : []), ...(init ?? []).map((_, i) => `dInit${i}`)];
        grads.forEach((g, i) => assertClose(`${what} ${names[i]}`, g.dataSync(), wants[i]!, 2e-5));
        tf.dispose([value, ...grads]);
        assert.equal(tf.memory().numTensors - before, 0, 'tensors leaked');
        tf.dispose(inputs);
      });
    }
});
