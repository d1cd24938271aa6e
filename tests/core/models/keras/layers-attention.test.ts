// MultiHeadAttention's self-attention on every kernel path (wasm with and without the native BLAS,
// cpu) against a float64 reference written here: the output, and the gradients of Σ out·dy with
// respect to the input and to each bias, the latter against central differences of that reference.
// Masks, causal attention and cross attention are held to live Keras in layers-live.test.ts.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '../../../../src/core/tfjs/gradients';
import { registerProjectKernels, selectBackend } from '../../../../src/core/tfjs';
import { multiHeadAttention } from '../../../../src/core/models/keras/layers-attention';
import type { LayerEntry } from '../../../../src/core/models/keras/config';
import type { LayerContext } from '../../../../src/core/models/keras/layer-types';
import { nativeForTests } from '../../../helpers/native-blas';
import { seededRandom, testSeed } from '../../../helpers/seed';

const [B, T, D, HEADS, KEY, VALUE, OUT] = [2, 5, 6, 2, 3, 4, 6];
const { native, skip: noNative } = nativeForTests();
const PATHS = [
  { name: 'wasm+blas', backend: 'wasm', native: true, skip: noNative || undefined },
  { name: 'wasm', backend: 'wasm', native: false, skip: undefined },
  { name: 'cpu', backend: 'cpu', native: false, skip: undefined },
] as const;

const entry: LayerEntry = {
  className: 'MultiHeadAttention',
  module: 'keras.layers',
  name: 'mha',
  config: { num_heads: HEADS, key_dim: KEY, value_dim: VALUE },
  inbound: ['x', 'x'],
  call: null,
  isOp: false,
  h5: 'mha',
};
const node = multiHeadAttention(
  entry,
  [
    [T, D],
    [T, D],
  ],
  { dropouts: 0 },
);
type Params = Map<string, Float64Array>;

/** x·W + b for the projection named `name`: [B·T, heads·dim] from a [B·T, D] input. */
function project(x: Float64Array, p: Params, name: string, rows: number, d: number): Float64Array {
  const w = p.get(`mha/${name}/kernel`)!;
  const bias = p.get(`mha/${name}/bias`)!;
  const cols = w.length / d;
  const y = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) {
      let s = bias[c % bias.length]!;
      for (let k = 0; k < d; k++) s += x[r * d + k]! * w[k * cols + c]!;
      y[r * cols + c] = s;
    }
  return y;
}

/** Keras's attention in float64: softmax(q·kᵀ/√key_dim) · v per head, then the output projection. */
function reference(x: Float64Array, p: Params): Float64Array {
  const q = project(x, p, 'query', B * T, D);
  const k = project(x, p, 'key', B * T, D);
  const v = project(x, p, 'value', B * T, D);
  const merged = new Float64Array(B * T * HEADS * VALUE);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < HEADS; h++)
      for (let i = 0; i < T; i++) {
        const logits = Array.from({ length: T }, (_, j) => {
          let s = 0;
          for (let e = 0; e < KEY; e++)
            s += q[(b * T + i) * HEADS * KEY + h * KEY + e]! * k[(b * T + j) * HEADS * KEY + h * KEY + e]!;
          return s / Math.sqrt(KEY);
        });
        const top = Math.max(...logits);
        const ex = logits.map((l) => Math.exp(l - top));
        const sum = ex.reduce((a, c) => a + c, 0);
        for (let e = 0; e < VALUE; e++) {
          let s = 0;
          for (let j = 0; j < T; j++) s += (ex[j]! / sum) * v[(b * T + j) * HEADS * VALUE + h * VALUE + e]!;
          merged[(b * T + i) * HEADS * VALUE + h * VALUE + e] = s;
        }
      }
  return project(merged, p, 'attention_output', B * T, HEADS * VALUE);
}

const dot = (a: Float64Array, dy: Float64Array) => a.reduce((s, v, i) => s + v * dy[i]!, 0);

/** d(Σ reference·dy)/d`of`, by central differences in float64. */
function numericGradient(of: Float64Array, loss: () => number): Float64Array {
  const g = new Float64Array(of.length);
  const h = 1e-6;
  for (let i = 0; i < of.length; i++) {
    const keep = of[i]!;
    of[i] = keep + h;
    const up = loss();
    of[i] = keep - h;
    g[i] = (up - loss()) / (2 * h);
    of[i] = keep;
  }
  return g;
}

function assertClose(got: ArrayLike<number>, want: Float64Array, tol: number, what: string): void {
  assert.equal(got.length, want.length, what);
  // Floored: the key bias's gradient is 0 (it shifts every logit of a row alike), float32 leaves up to ~2e-7 (sums of O(1) terms cancelling).
  const scale = Math.max(1e-2, ...want.map(Math.abs));
  for (let i = 0; i < want.length; i++)
    assert.ok(Math.abs(got[i]! - want[i]!) <= tol * scale, `${what}[${i}]: ${got[i]} vs ${want[i]} (scale ${scale})`);
}

after(() => registerProjectKernels());

for (const path of PATHS) {
  describe(`MultiHeadAttention self-attention on ${path.name}`, { skip: path.skip }, () => {
    const seed = testSeed(`layers-attention ${path.name}`);
    const rand = seededRandom(seed);
    const fill = (n: number) => Float64Array.from({ length: n }, () => Math.fround(rand() * 2 - 1));
    const x = fill(B * T * D);
    const dy = fill(B * T * OUT);
    const p: Params = new Map(node.params.map((s) => [s.path, fill(s.shape.reduce((a, c) => a * c, 1))]));
    const shapes = new Map(node.params.map((s) => [s.path, s.shape]));
    const run = (xt: tf.Tensor, pt: Map<string, tf.Tensor>) => node.apply([xt, xt], pt, {} as LayerContext) as tf.Tensor;
    const tensors = () => new Map([...p].map(([k, v]) => [k, tf.tensor(Float32Array.from(v), shapes.get(k)!)]));

    test('output and the gradients of input and biases are within float32 rounding of float64', async () => {
      await selectBackend([path.backend], path.native ? { native: native! } : {});
      const want = reference(x, p);
      const biases = [...p.keys()].filter((k) => k.endsWith('/bias'));
      const got = tf.tidy(() => {
        const pt = tensors();
        const xt = tf.tensor(Float32Array.from(x), [B, T, D]);
        const out = run(xt, pt);
        const dyt = tf.tensor(Float32Array.from(dy), out.shape);
        const f = (xi: tf.Tensor, ...bs: tf.Tensor[]) => {
          const withBiases = new Map(pt);
          biases.forEach((k, i) => withBiases.set(k, bs[i]!));
          return tf.sum(tf.mul(run(xi, withBiases), dyt));
        };
        const grads = tf.grads(f)([xt, ...biases.map((k) => pt.get(k)!)]);
        return { out: out.dataSync(), grads: grads.map((g) => g.dataSync()) };
      });
      assertClose(got.out, want, 1e-5, 'output');
      const loss = () => dot(reference(x, p), dy);
      assertClose(got.grads[0]!, numericGradient(x, loss), 1e-4, 'd/dx');
      biases.forEach((k, i) => assertClose(got.grads[i + 1]!, numericGradient(p.get(k)!, loss), 1e-4, `d/d ${k}`));
    });

    test('reshapes its one input to rows once for the three projections', async () => {
      await selectBackend([path.backend], path.native ? { native: native! } : {});
      const pt = tensors();
      const xt = tf.tensor(Float32Array.from(x), [B, T, D]);
      const profile = await tf.profile(() => run(xt, pt));
      const inputToRows = profile.kernels.filter(
        (k) =>
          k.name === 'Reshape' &&
          String(k.inputShapes[0]) === String([B, T, D]) &&
          String(k.outputShapes[0]) === String([B * T, D]),
      );
      assert.equal(inputToRows.length, 1);
      tf.dispose([xt, ...pt.values()]);
    });
  });
}
