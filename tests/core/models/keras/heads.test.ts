// Keras losses and activations against float64 formulas written here (Keras 3's definitions), and
// every layer, activation and loss taking a training step on wasm — the workers' backend — with the
// gradients the cpu backend gives.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../../../../src/core/tfjs/backend';
import { buildKerasModel, initParams, lossAndGradsSum } from '../../../../src/core/models/index';
import { lossHeadOf, headMetricSums, headPerExample } from '../../../../src/core/models/keras/losses';
import { activationOf, ACTIVATION_NAMES } from '../../../../src/core/models/keras/activations';

const OUT = [
  [2.0, -1.0, 0.5],
  [0.1, 0.3, 0.6],
];
const PROBS = [
  [0.7, 0.2, 0.1],
  [1e-9, 0.5, 0.5 - 1e-9],
];
const EPS = 1e-7;
const clip = (p: number) => Math.min(Math.max(p, EPS), 1 - EPS);
const logSoftmax = (r: number[]) => {
  const m = Math.max(...r);
  const lse = m + Math.log(r.reduce((a, v) => a + Math.exp(v - m), 0));
  return r.map((v) => v - lse);
};
const sig = (x: number) => 1 / (1 + Math.exp(-x));
const mean = (r: number[]) => r.reduce((a, b) => a + b, 0) / r.length;

const REFERENCES: [string, unknown, number[][], number[][] | number[], (o: number[], y: number[] | number) => number][] = [
  [
    'sparse CCE, logits',
    { class_name: 'SparseCategoricalCrossentropy', config: { from_logits: true } },
    OUT,
    [0, 2],
    (o, y) => -logSoftmax(o)[y as number]!,
  ],
  [
    'sparse CCE, probabilities (renormalised, clipped)',
    'sparse_categorical_crossentropy',
    PROBS,
    [0, 0],
    (o, y) => -Math.log(clip(o[y as number]! / o.reduce((a, b) => a + b, 0))),
  ],
  [
    'CCE, logits, label smoothing 0.1',
    { class_name: 'CategoricalCrossentropy', config: { from_logits: true, label_smoothing: 0.1 } },
    OUT,
    [
      [1, 0, 0],
      [0, 0, 1],
    ],
    (o, y) => -logSoftmax(o).reduce((a, l, i) => a + ((y as number[])[i]! * 0.9 + 0.1 / 3) * l, 0),
  ],
  [
    'BCE, logits',
    { class_name: 'BinaryCrossentropy', config: { from_logits: true } },
    OUT,
    [
      [1, 0, 1],
      [0, 0, 1],
    ],
    (o, y) => mean(o.map((v, i) => -((y as number[])[i]! * Math.log(sig(v)) + (1 - (y as number[])[i]!) * Math.log(1 - sig(v))))),
  ],
  [
    'BCE, probabilities (clipped)',
    'binary_crossentropy',
    PROBS,
    [
      [1, 0, 1],
      [1, 0, 1],
    ],
    (o, y) =>
      mean(o.map((v, i) => -((y as number[])[i]! * Math.log(clip(v)) + (1 - (y as number[])[i]!) * Math.log(1 - clip(v))))),
  ],
  [
    'MSE',
    'mean_squared_error',
    OUT,
    [
      [1, 0, 1],
      [0, 0, 1],
    ],
    (o, y) => mean(o.map((v, i) => (v - (y as number[])[i]!) ** 2)),
  ],
  [
    'MAE',
    { class_name: 'MeanAbsoluteError', config: { reduction: 'sum_over_batch_size' } },
    OUT,
    [
      [1, 0, 1],
      [0, 0, 1],
    ],
    (o, y) => mean(o.map((v, i) => Math.abs(v - (y as number[])[i]!))),
  ],
];

test('each Keras loss per example equals its float64 formula', async () => {
  await selectBackend(['cpu']);
  for (const [label, loss, out, y, ref] of REFERENCES) {
    const head = lossHeadOf({ loss });
    const got = tf.tidy(() => {
      const labels =
        head.kind === 'sparse_categorical_crossentropy' ? tf.tensor1d(y as number[], 'int32') : tf.tensor2d(y as number[][]);
      return headPerExample(head, tf.tensor2d(out), labels).dataSync();
    });
    out.forEach((o, b) => {
      const want = ref(o, (y as (number | number[])[])[b]!);
      assert.ok(Math.abs(got[b]! - want) <= 1e-5 * Math.max(1, Math.abs(want)), `${label}, example ${b}: ${got[b]} vs ${want}`);
    });
  }
});

const ACTIVATION_REFS: Record<string, (x: number) => number> = {
  linear: (x) => x,
  relu: (x) => Math.max(0, x),
  relu6: (x) => Math.min(6, Math.max(0, x)),
  leaky_relu: (x) => (x > 0 ? x : 0.2 * x),
  elu: (x) => (x > 0 ? x : Math.exp(x) - 1),
  selu: (x) => 1.0507009873554805 * (x > 0 ? x : 1.6732632423543772 * (Math.exp(x) - 1)),
  tanh: Math.tanh,
  sigmoid: sig,
  hard_sigmoid: (x) => Math.min(6, Math.max(0, x + 3)) / 6,
  softplus: (x) => Math.log1p(Math.exp(x)),
  softsign: (x) => x / (1 + Math.abs(x)),
  exponential: Math.exp,
  silu: (x) => x * sig(x),
  swish: (x) => x * sig(x),
  mish: (x) => x * Math.tanh(Math.log1p(Math.exp(x))),
  // Φ(x) through erf's Taylor series (exact to float64 rounding on |z| ≤ 3.5).
  gelu: (x) => x * 0.5 * (1 + erf(x / Math.SQRT2)),
  // jax.nn's definitions, which Keras 3's JAX backend calls.
  celu: (x) => Math.max(0, x) + Math.expm1(Math.min(0, x)),
  tanh_shrink: (x) => x - Math.tanh(x),
  hard_silu: (x) => (x * Math.min(6, Math.max(0, x + 3))) / 6,
  hard_swish: (x) => (x * Math.min(6, Math.max(0, x + 3))) / 6,
  hard_tanh: (x) => Math.min(1, Math.max(-1, x)),
  hard_shrink: (x) => (Math.abs(x) > 0.5 ? x : 0),
  soft_shrink: (x) => (x > 0.5 ? x - 0.5 : x < -0.5 ? x + 0.5 : 0),
  log_sigmoid: (x) => -Math.log1p(Math.exp(-x)),
  sparse_plus: (x) => (x <= -1 ? 0 : x >= 1 ? x : (x + 1) ** 2 / 4),
  sparse_sigmoid: (x) => 0.5 * Math.min(2, Math.max(0, x + 1)),
  squareplus: (x) => (x + Math.sqrt(x * x + 4)) / 2,
};

/** Activations over the last axis, per row in float64 (jax.nn's definitions). */
const ROW_REFS: Record<string, (row: number[]) => number[]> = {
  softmax: (r) => {
    const e = r.map((v) => Math.exp(v - Math.max(...r)));
    return e.map((v) => v / e.reduce((a, b) => a + b, 0));
  },
  log_softmax: (r) => {
    const m = Math.max(...r);
    const lse = m + Math.log(r.reduce((a, v) => a + Math.exp(v - m), 0));
    return r.map((v) => v - lse);
  },
  // Keras 3.15's JAX sparsemax (keras/src/backend/jax/nn.py), literally: sort descending, c = cumsum,
  // support where z_i − (c_i − 1)/i > 0, τ = (Σ_support c_i − 1)/|support| (the cumulative sums, not
  // the logits: Keras([1, 0.5]) = [0.25, 0], measured).
  sparsemax: (r) => {
    const z = [...r].sort((a, b) => b - a);
    let cum = 0;
    let k = 0;
    let sum = 0;
    z.forEach((v, i) => {
      cum += v;
      if (v - (cum - 1) / (i + 1) > 0) [k, sum] = [k + 1, sum + cum];
    });
    return r.map((v) => Math.max(0, v - (sum - 1) / k));
  },
  glu: (r) => r.slice(0, r.length / 2).map((a, i) => a * sig(r[r.length / 2 + i]!)),
};
function erf(z: number): number {
  if (Math.abs(z) > 3.5) return Math.sign(z); // erfc(3.5) < 1e-6 of float32's reach here
  let sum = 0;
  let term = z;
  for (let n = 0; n < 60; n++) {
    sum += term / (2 * n + 1);
    term *= (-z * z) / (n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

test('elementwise activations equal their float64 definitions (Keras 3 defaults)', async () => {
  await selectBackend(['cpu']);
  const xs = [-3, -1.2, -0.3, 0, 0.4, 1.1, 2.5, 7];
  for (const [name, ref] of Object.entries(ACTIVATION_REFS)) {
    const got = tf.tidy(() => activationOf(name, 'l').fn(tf.tensor1d(xs)).dataSync());
    xs.forEach((x, i) =>
      assert.ok(
        Math.abs(got[i]! - ref(x)) <= 2e-6 * Math.max(1, Math.abs(ref(x))),
        `${name}(${x}) = ${got[i]}, expected ${ref(x)}`,
      ),
    );
  }
  const rows = [
    [0.3, -1.2, 2.5, 0.9],
    [1.0, 1.0, -0.5, 0.2],
  ];
  for (const [name, ref] of Object.entries(ROW_REFS)) {
    const got = tf.tidy(() => activationOf(name, 'l').fn(tf.tensor2d(rows)).arraySync() as number[][]);
    rows.forEach((r, b) =>
      ref(r).forEach((want, i) =>
        assert.ok(
          Math.abs(got[b]![i]! - want) <= 2e-6 * Math.max(1, Math.abs(want)),
          `${name} row ${b}[${i}]: ${got[b]![i]} vs ${want}`,
        ),
      ),
    );
  }
  assert.deepEqual(
    [...Object.keys(ACTIVATION_REFS), ...Object.keys(ROW_REFS)].sort(),
    [...ACTIVATION_NAMES].sort(),
    'every activation has a reference',
  );
});

const L = (class_name: string, config: object) => ({ class_name, config });
const seq = (layers: object[], shape: number[], loss: unknown) =>
  buildKerasModel(
    {
      class_name: 'Sequential',
      config: { name: 's', layers: [L('InputLayer', { batch_shape: [null, ...shape], name: 'in' }), ...layers] },
    },
    { loss } as Record<string, unknown>,
  );
const MODELS: [string, ReturnType<typeof seq>, Float32Array | Int32Array][] = [
  ...ACTIVATION_NAMES.map((a): [string, ReturnType<typeof seq>, Float32Array] => [
    `Dense ${a}`,
    // glu halves the last axis: 6 units give 3 outputs.
    seq([L('Dense', { name: 'd', units: a === 'glu' ? 6 : 3, activation: a })], [4], 'mse'),
    Float32Array.from({ length: 12 }, (_, i) => (i % 3) / 2),
  ]),
  [
    'Conv2D, AveragePooling2D, GlobalAveragePooling2D',
    seq(
      [
        L('Conv2D', { name: 'c', filters: 2, kernel_size: 3, padding: 'same', activation: 'relu' }),
        L('AveragePooling2D', { name: 'p' }),
        L('GlobalAveragePooling2D', { name: 'g' }),
        L('Dense', { name: 'd', units: 3 }),
      ],
      [4, 4, 1],
      { class_name: 'SparseCategoricalCrossentropy', config: { from_logits: true } },
    ),
    Int32Array.of(0, 1, 2, 1),
  ],
  [
    'Conv2D strided, MaxPooling2D same, Flatten, softmax probabilities',
    seq(
      [
        L('Conv2D', { name: 'c', filters: 2, kernel_size: [2, 2], strides: 2 }),
        L('MaxPooling2D', { name: 'p', pool_size: [2, 2], padding: 'same' }),
        L('Flatten', { name: 'f' }),
        L('Dense', { name: 'd', units: 3, activation: 'softmax' }),
      ],
      [5, 5, 1],
      'sparse_categorical_crossentropy',
    ),
    Int32Array.of(0, 1, 2, 1),
  ],
  [
    'Reshape, LayerNormalization, Dropout, BCE',
    seq(
      [
        L('Reshape', { name: 'r', target_shape: [2, -1] }),
        L('LayerNormalization', { name: 'ln' }),
        L('Dropout', { name: 'dr', rate: 0.25 }),
        L('Flatten', { name: 'f' }),
        L('Dense', { name: 'd', units: 2, activation: 'sigmoid' }),
      ],
      [4],
      'binary_crossentropy',
    ),
    Float32Array.of(0, 1, 1, 0, 1, 1, 0, 0),
  ],
  [
    'BCE from logits',
    seq([L('Dense', { name: 'd', units: 2 })], [4], { class_name: 'BinaryCrossentropy', config: { from_logits: true } }),
    Float32Array.of(0, 1, 1, 0, 1, 1, 0, 0),
  ],
  [
    'CCE on softmax',
    seq([L('Dense', { name: 'd', units: 2, activation: 'softmax' })], [4], 'categorical_crossentropy'),
    Float32Array.of(0, 1, 1, 0, 1, 0, 0, 1),
  ],
  [
    'Embedding, GlobalAveragePooling1D, MAE',
    seq(
      [
        L('Embedding', { name: 'e', input_dim: 7, output_dim: 3 }),
        L('GlobalAveragePooling1D', { name: 'g' }),
        L('Dense', { name: 'd', units: 1 }),
      ],
      [4],
      'mae',
    ),
    Float32Array.of(0.5, -1, 2, 0),
  ],
];

test('every layer, activation and loss takes a step on wasm with the gradients of cpu', async () => {
  const seed = Number(process.env.KERAS_HEADS_SEED ?? 17);
  console.log(`# seed ${seed} (KERAS_HEADS_SEED)`);
  const run = (m: ReturnType<typeof seq>, y: Float32Array | Int32Array) => {
    const per = m.inputShape.reduce((a, b) => a * b, 1);
    const isIds = m.params.some((p) => p.sparse);
    const x = Float32Array.from({ length: 4 * per }, (_, i) => (isIds ? (i * 3 + seed) % 7 : ((i * 7 + seed) % 11) / 5 - 1));
    return lossAndGradsSum(m, initParams(m, seed), x, y, 4, { dropoutSeed: seed });
  };
  await selectBackend(['cpu']);
  const reference = MODELS.map(([, m, y]) => run(m, y));
  const wasm = await selectBackend(['wasm']);
  if (wasm.name !== 'wasm') return void assert.fail(`wasm backend unavailable: ${wasm.reason}`);
  MODELS.forEach(([label, m, y], k) => {
    const got = run(m, y);
    const want = reference[k]!;
    assert.ok(
      Number.isFinite(got.lossSum) && Math.abs(got.lossSum - want.lossSum) <= 1e-5 * Math.max(1, Math.abs(want.lossSum)),
      `${label}: loss ${got.lossSum} vs cpu ${want.lossSum}`,
    );
    for (const [path, g] of want.grads) {
      const h = got.grads.get(path)!;
      g.forEach((v, i) =>
        assert.ok(Math.abs(h[i]! - v) <= 1e-4 * Math.max(1, Math.abs(v)), `${label} ${path}[${i}]: ${h[i]} vs cpu ${v}`),
      );
    }
    for (const [path, s] of want.sparse ?? [])
      assert.deepEqual([...got.sparse!.get(path)!.rows], [...s.rows], `${label} ${path} rows`);
  });
  await selectBackend(['cpu']);
});

// Metric arguments Keras saves are honoured or refused by name: the TF text-classification tutorial
// compiles BinaryAccuracy(threshold=0.0) on logits, which was read with the default 0.5.
test('BinaryAccuracy honours its threshold; an argument or a loss it cannot honour is refused by name', () => {
  const logits = Float32Array.of(-0.3, 0.2, 0.7, -0.6, 0.1, 2.0, -2.0, 0.4); // one logit per example
  const labels = Float32Array.of(0, 1, 1, 0, 1, 1, 0, 0);
  const bce = { class_name: 'BinaryCrossentropy', config: { from_logits: true } };
  const metric = (threshold?: number) => ({
    module: 'keras.metrics',
    class_name: 'BinaryAccuracy',
    config: { name: 'binary_accuracy', dtype: 'float32', ...(threshold === undefined ? {} : { threshold }) },
  });
  // Hand count: above 0 → 0 1 1 0 1 1 0 1 against the labels: 7 hits; above 0.5 → 0 0 1 0 0 1 0 0: 6 hits.
  for (const [threshold, hits] of [
    [0.0, 7],
    [undefined, 6],
    [0.5, 6],
  ] as const) {
    const head = lossHeadOf({ loss: bce, metrics: [metric(threshold)] });
    assert.deepEqual(headMetricSums(head, logits, labels, 8), { accuracy: hits }, `threshold ${threshold}`);
  }
  assert.deepEqual(
    headMetricSums(lossHeadOf({ loss: bce, metrics: ['accuracy'] }), logits, labels, 8),
    { accuracy: 6 },
    "the string 'accuracy' is Keras's BinaryAccuracy at 0.5",
  );
  assert.throws(
    () => lossHeadOf({ loss: bce, metrics: [{ class_name: 'BinaryAccuracy', config: { threshold: 0.5, top_k: 2 } }] }),
    /BinaryAccuracy: argument top_k=2 is not supported/,
  );
  assert.throws(
    () => lossHeadOf({ loss: bce, metrics: [{ class_name: 'BinaryAccuracy', config: { dtype: 'float16' } }] }),
    /BinaryAccuracy: dtype "float16" is not supported/,
  );
  assert.throws(
    () => lossHeadOf({ loss: 'sparse_categorical_crossentropy', metrics: [{ class_name: 'BinaryAccuracy', config: {} }] }),
    /BinaryAccuracy does not fit the loss sparse_categorical_crossentropy/,
  );
  assert.throws(
    () =>
      lossHeadOf({
        loss: 'sparse_categorical_crossentropy',
        metrics: [{ class_name: 'SparseCategoricalAccuracy', config: { threshold: 0.2 } }],
      }),
    /argument threshold=0.2 is not supported/,
  );
});
