// The recurrent layers on every compute path a user lands on (wasm with the native BLAS: the
// whole-sequence kernels; wasm without it and cpu: per-step tfjs ops) against the float64 scan of
// tests/helpers/recurrent-reference.ts: LSTM with go_backwards, both GRU modes, SimpleRNN with relu,
// sequences or the last step; the layer's outputs and the gradients of its kernel, recurrent kernel
// and bias (central differences of the float64 scan). Masks on the native path:
// tests/core/tfjs/recurrence/op.test.ts; on both wasm paths against live Keras: layers-live.test.ts.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '../../../../src/core/tfjs/gradients';
import { registerProjectKernels, selectBackend } from '../../../../src/core/tfjs';
import { buildKerasModel, initParams, paramTensors } from '../../../../src/core/models/index';
import { runGraph } from '../../../../src/core/models/keras/graph';
import { fusedKernels } from '../../../../src/core/tfjs/recurrence/op';
import { nativeForTests } from '../../../helpers/native-blas';
import {
  assertClose,
  gatesOfRef,
  numericGradient,
  referenceScan,
  weighted,
  type RefCell,
} from '../../../helpers/recurrent-reference';
import { seededRandom, testSeed } from '../../../helpers/seed';

const { native, skip: noNative } = nativeForTests();
const PATHS = [
  { name: 'wasm+blas', backend: 'wasm' as const, native: true, skip: noNative || undefined },
  { name: 'wasm', backend: 'wasm' as const, native: false, skip: undefined },
  { name: 'cpu', backend: 'cpu' as const, native: false, skip: undefined },
];

const [B, T, D] = [3, 5, 3];
const L = (class_name: string, config: object) => ({ class_name, config });

interface Case {
  name: string;
  layer: object;
  cell: RefCell;
  units: number;
  reverse: boolean;
  sequences: boolean;
}
const CASES: Case[] = [
  {
    name: 'LSTM go_backwards, sequences',
    layer: L('LSTM', { name: 'r', units: 4, return_sequences: true, go_backwards: true }),
    cell: { kind: 'lstm', act: 'tanh', rec: 'sigmoid' },
    units: 4,
    reverse: true,
    sequences: true,
  },
  {
    name: 'GRU reset_after',
    layer: L('GRU', { name: 'r', units: 4 }),
    cell: { kind: 'gru', act: 'tanh', rec: 'sigmoid', resetAfter: true },
    units: 4,
    reverse: false,
    sequences: false,
  },
  {
    name: 'GRU reset_after=False, sequences',
    layer: L('GRU', { name: 'r', units: 3, reset_after: false, return_sequences: true }),
    cell: { kind: 'gru', act: 'tanh', rec: 'sigmoid', resetAfter: false },
    units: 3,
    reverse: false,
    sequences: true,
  },
  {
    name: 'SimpleRNN relu',
    layer: L('SimpleRNN', { name: 'r', units: 4, activation: 'relu' }),
    cell: { kind: 'simple', act: 'relu' },
    units: 4,
    reverse: false,
    sequences: false,
  },
];

/** [rows, cols]·[cols, n] in float64. */
function matmul(a: ArrayLike<number>, b: ArrayLike<number>, rows: number, cols: number, n: number): Float64Array {
  const out = new Float64Array(rows * n);
  for (let r = 0; r < rows; r++)
    for (let k = 0; k < cols; k++) for (let j = 0; j < n; j++) out[r * n + j]! += a[r * cols + k]! * b[k * n + j]!;
  return out;
}

/** The layer's output in float64: x·W (+ the input bias) through the reference scan, every step or the last. */
function reference(
  c: Case,
  x: ArrayLike<number>,
  W: ArrayLike<number>,
  U: ArrayLike<number>,
  bias: ArrayLike<number>,
): Float64Array {
  const u = c.units;
  const G = gatesOfRef(c.cell) * u;
  const pre = matmul(x, W, B * T, D, G);
  // the input bias goes into every step's input term; LSTM's bias and GRU's recurrent row inside the step
  const inputBias = c.cell.kind === 'lstm' ? null : bias.length === 2 * G ? Array.from(bias).slice(0, G) : Array.from(bias);
  if (inputBias) pre.forEach((v, i) => (pre[i] = v + inputBias[i % G]!));
  const stepBias = c.cell.kind === 'lstm' ? bias : c.cell.kind === 'gru' && c.cell.resetAfter ? Array.from(bias).slice(G) : null;
  const q = { batch: B, time: T, units: u, reverse: c.reverse, zeroOutput: false, keep: null };
  const all = referenceScan(c.cell, q, pre, U, stepBias, null);
  const S = c.cell.kind === 'lstm' ? 2 : 1;
  const steps = c.sequences ? T : 1;
  const out = new Float64Array(B * steps * u);
  for (let b = 0; b < B; b++)
    for (let s = 0; s < steps; s++)
      for (let j = 0; j < u; j++) out[(b * steps + s) * u + j] = all[(b * (T + S) + (c.sequences ? s : T - 1)) * u + j]!;
  return out;
}

for (const path of PATHS) {
  describe(`recurrent layers on ${path.name}`, { skip: path.skip }, () => {
    after(async () => {
      await selectBackend(['wasm']);
      registerProjectKernels();
    });
    for (const c of CASES)
      test(`${c.name} on [batch, time, features]: outputs and kernel, recurrent kernel, bias gradients equal the float64 scan`, async () => {
        await selectBackend([path.backend], path.native ? { native: native! } : {});
        assert.equal(fusedKernels() !== null, path.native, 'the whole-sequence kernels run exactly on wasm+blas');
        const rand = seededRandom(testSeed(`layers-recurrent ${path.name} ${c.name}`));
        const m = buildKerasModel(
          {
            class_name: 'Sequential',
            config: {
              name: 's',
              layers: [L('InputLayer', { batch_shape: [null, T, D], name: 'in' }), c.layer],
            },
          },
          { loss: 'mse' },
        );
        const values = initParams(m, Math.floor(rand() * 1e6));
        const path3 = (suffix: string) => [...values.keys()].find((k) => k.startsWith('r/') && k.endsWith(suffix))!;
        const [wPath, uPath, bPath] = [path3('/kernel'), path3('/recurrent_kernel'), path3('/bias')];
        for (const p of [wPath, uPath, bPath])
          values.set(
            p,
            values.get(p)!.map(() => rand() - 0.5),
          );
        const x = Float32Array.from({ length: B * T * D }, () => rand() * 2 - 1);
        const outSize = B * (c.sequences ? T : 1) * c.units;
        const w = Float32Array.from({ length: outSize }, () => rand() * 2 - 1);
        const trained = [wPath, uPath, bPath];
        const [W, U, bias] = trained.map((name) => Float32Array.from(values.get(name)!));
        const { y, grads } = tf.tidy(() => {
          const pt = paramTensors(m, values);
          const xT = tf.tensor3d(x, [B, T, D]);
          const forward = (...ps: tf.Tensor[]) => {
            const p = new Map(pt);
            trained.forEach((name, i) => p.set(name, ps[i]!));
            return runGraph(m.keras!.graph, p, xT, { training: true, exampleOffset: 0 }).get(m.keras!.graph.output)!;
          };
          const ps = trained.map((name) => pt.get(name)!);
          const g = tf.grads((...a: tf.Tensor[]) => tf.sum(tf.mul(forward(...a), tf.tensor(w, forward(...a).shape))))(ps);
          return { y: forward(...ps).dataSync(), grads: g.map((t) => t.dataSync()) };
        });
        assertClose(`${c.name} output`, y, reference(c, x, W, U, bias));
        const loss = (w2: ArrayLike<number>, u2: ArrayLike<number>, b2: ArrayLike<number>) =>
          weighted(reference(c, x, w2, u2, b2), w);
        assertClose(
          `${c.name} d kernel`,
          grads[0]!,
          numericGradient((v) => loss(v, U, bias), W),
          2e-5,
        );
        assertClose(
          `${c.name} d recurrent_kernel`,
          grads[1]!,
          numericGradient((v) => loss(W, v, bias), U),
          2e-5,
        );
        assertClose(
          `${c.name} d bias`,
          grads[2]!,
          numericGradient((v) => loss(W, U, v), bias),
          2e-5,
        );
      });
  });
}

describe('recurrent layers on an empty local batch', () => {
  test('LSTM and GRU on [0, time, features] give [0, units] on every path (a device with no examples)', async () => {
    for (const path of PATHS.filter((p) => !p.skip)) {
      await selectBackend([path.backend], path.native ? { native: native! } : {});
      for (const layer of [L('LSTM', { name: 'r', units: 4 }), L('GRU', { name: 'r', units: 3, return_sequences: true })]) {
        const m = buildKerasModel(
          {
            class_name: 'Sequential',
            config: { name: 's', layers: [L('InputLayer', { batch_shape: [null, T, D], name: 'in' }), layer] },
          },
          { loss: 'mse' },
        );
        const shape = tf.tidy(() => {
          const pt = paramTensors(m, initParams(m, 1));
          return runGraph(m.keras!.graph, pt, tf.zeros([0, T, D]), { training: true, exampleOffset: 0 }).get(
            m.keras!.graph.output,
          )!.shape;
        });
        assert.deepEqual(shape, [0, ...m.outputShape], `${path.name} ${JSON.stringify(layer)}`);
      }
    }
    await selectBackend(['wasm']);
    registerProjectKernels();
  });
});
