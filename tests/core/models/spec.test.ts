// Model spec validation, Keras-style naming and parameter paths, deterministic initialisation.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildModel, initParams, initParamSlice, ModelSpecError } from '../../../src/core/models';

const MLP = {
  type: 'mlp',
  input: [4],
  layers: [
    { type: 'dense', units: 32, activation: 'relu' },
    { type: 'dense', units: 3 },
  ],
  loss: 'softmax_cross_entropy',
  metrics: ['accuracy'],
};
const CNN = {
  type: 'sequential',
  input: [8, 8, 1],
  layers: [
    { type: 'conv2d', filters: 8, kernelSize: 3, activation: 'relu', padding: 'same' },
    { type: 'maxPool2d', poolSize: 2 },
    { type: 'flatten' },
    { type: 'dense', units: 10 },
  ],
  loss: 'softmax_cross_entropy',
};

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v));
function rejects(spec: unknown, message: RegExp): void {
  assert.throws(
    () => buildModel(spec),
    (e: unknown) => {
      assert.ok(e instanceof ModelSpecError, `expected ModelSpecError, got ${e}`);
      assert.match(e.message, message);
      assert.ok(!e.message.includes('\n'), 'one-line message');
      return true;
    },
  );
}

describe('model spec', () => {
  test('the MLP and CNN examples build, with Keras names, shapes and parameter paths', () => {
    const mlp = buildModel(MLP);
    assert.deepEqual(
      mlp.layers.map((l) => l.name),
      ['dense', 'dense_1'],
    );
    assert.deepEqual(
      mlp.params.map((p) => [p.path, p.shape]),
      [
        ['dense.kernel', [4, 32]],
        ['dense.bias', [32]],
        ['dense_1.kernel', [32, 3]],
        ['dense_1.bias', [3]],
      ],
    );
    assert.equal(mlp.paramCount, 4 * 32 + 32 + 32 * 3 + 3);
    const cnn = buildModel(CNN);
    assert.deepEqual(
      cnn.layers.map((l) => l.name),
      ['conv2d', 'max_pooling2d', 'flatten', 'dense'],
    );
    assert.deepEqual(
      cnn.layers.map((l) => l.outShape),
      [[8, 8, 8], [4, 4, 8], [128], [10]],
    );
    assert.deepEqual(
      cnn.params.map((p) => p.path),
      ['conv2d.kernel', 'conv2d.bias', 'dense.kernel', 'dense.bias'],
    );
    assert.deepEqual(cnn.params[0].shape, [3, 3, 1, 8]);
    assert.deepEqual(cnn.params[0].init, { kind: 'glorot_uniform', fanIn: 9, fanOut: 72 });
  });

  test('a Keras LayoutMap regex selects the expected variables', () => {
    const paths = buildModel(MLP).params.map((p) => p.path);
    assert.deepEqual(
      paths.filter((p) => /dense.*kernel/.test(p)),
      ['dense.kernel', 'dense_1.kernel'],
    );
    assert.deepEqual(
      paths.filter((p) => /dense_1.*bias/.test(p)),
      ['dense_1.bias'],
    );
  });

  test('counters per layer type, explicit names, auto-flatten and valid/strided geometry', () => {
    const m = buildModel({
      type: 'sequential',
      input: [10, 9, 3],
      layers: [
        { type: 'conv2d', filters: 4, kernelSize: [3, 2], strides: [2, 1] },
        { type: 'conv2d', filters: 2, kernelSize: 2, padding: 'same', strides: 3, name: 'head_conv' },
        { type: 'conv2d', filters: 2, kernelSize: 1, useBias: false },
        { type: 'dropout', rate: 0.5 },
        { type: 'dense', units: 5, activation: 'tanh' },
        { type: 'dropout', rate: 0.1 },
        { type: 'dense', units: 2 },
      ],
      loss: 'mse',
      metrics: ['mae'],
    });
    assert.deepEqual(
      m.layers.map((l) => l.name),
      ['conv2d', 'head_conv', 'conv2d_1', 'dropout', 'dense', 'dropout_1', 'dense_1'],
    );
    assert.deepEqual(
      m.layers.map((l) => l.outShape),
      [[4, 8, 4], [2, 3, 2], [2, 3, 2], [2, 3, 2], [5], [5], [2]],
    );
    assert.deepEqual(m.params.find((p) => p.path === 'dense.kernel')!.shape, [12, 5]);
    assert.ok(!m.params.some((p) => p.path === 'conv2d_1.bias'));
  });

  test('unknown keys, wrong types and bad values name the path', () => {
    rejects({ ...MLP, optimizer: 'sgd' }, /^model spec: optimizer: unknown key/);
    rejects(
      { ...MLP, layers: [{ type: 'dense', unit: 3 }] },
      /^model spec: layers\[0\]\.unit: unknown key 'unit' \(did you mean 'units'\?\)$/,
    );
    rejects(
      { ...MLP, layers: [{ type: 'dense', units: 3, activaton: 'relu' }] },
      /^model spec: layers\[0\]\.activaton: unknown key 'activaton' \(did you mean 'activation'\?\)$/,
    );
    rejects({ ...MLP, lss: 'mse' }, /^model spec: lss: unknown key 'lss' \(did you mean 'loss'\?\)$/);
    rejects(
      { ...MLP, layers: [{ type: 'dense', units: '32' }] },
      /^model spec: layers\[0\]\.units: expected a positive integer, got "32"/,
    );
    rejects({ ...MLP, layers: [{ type: 'dense' }] }, /^model spec: layers\[0\]\.units: is required/);
    rejects(
      { ...MLP, layers: [{ type: 'dense', units: 3, activation: 'gelu' }] },
      /layers\[0\]\.activation: expected one of linear, relu/,
    );
    rejects({ ...MLP, layers: [{ type: 'lstm', units: 3 }] }, /^model spec: layers\[0\]\.type: expected one of dense, conv2d/);
    rejects(
      {
        ...MLP,
        layers: [
          { type: 'dropout', rate: 1 },
          { type: 'dense', units: 3 },
        ],
      },
      /layers\[0\]\.rate: expected a number in \[0, 1\)/,
    );
    rejects({ ...MLP, input: [4, 0] }, /^model spec: input\[1\]: expected a positive integer/);
    rejects({ ...MLP, loss: 'hinge' }, /^model spec: loss: expected one of softmax_cross_entropy, mse/);
    rejects({ ...MLP, metrics: ['accuracy', 'accuracy'] }, /metrics: lists a metric twice/);
    rejects({ ...MLP, layers: [] }, /^model spec: layers: expected a non-empty array/);
    rejects([], /^model spec: \(root\): expected an object/);
    const { loss: _, ...noLoss } = MLP;
    rejects(noLoss, /^model spec: loss: is required/);
    rejects(
      { ...CNN, layers: [{ type: 'conv2d', filters: 2, kernelSize: [3, 3, 3] }] },
      /layers\[0\]\.kernelSize: expected a positive integer or \[h, w\]/,
    );
  });

  test('shape errors: conv on a rank-1 input, windows that do not fit, mlp-only layers', () => {
    rejects(
      {
        ...MLP,
        type: 'sequential',
        layers: [
          { type: 'conv2d', filters: 2, kernelSize: 3 },
          { type: 'dense', units: 3 },
        ],
      },
      /^model spec: layers\[0\]: conv2d needs a rank-3 input \[height, width, channels\], got \[4\]/,
    );
    const cnn = clone(CNN);
    cnn.layers.splice(2, 0, { type: 'flatten' });
    cnn.layers.splice(3, 0, { type: 'maxPool2d' });
    rejects(cnn, /^model spec: layers\[3\]: maxPool2d needs a rank-3 input/);
    rejects(
      {
        ...CNN,
        input: [2, 8, 1],
        layers: [{ type: 'conv2d', filters: 1, kernelSize: 3 }, { type: 'flatten' }, { type: 'dense', units: 2 }],
      },
      /layers\[0\]: conv2d window \[3,3\] does not fit input \[2,8,1\]/,
    );
    rejects({ ...CNN, type: 'mlp' }, /^model spec: layers\[0\]\.type: "conv2d" is not allowed in an mlp/);
  });

  test('head errors: logits shape, softmax before cross-entropy, metric/loss mismatch, duplicate names', () => {
    rejects(
      { ...MLP, layers: [{ type: 'dense', units: 1 }] },
      /softmax_cross_entropy needs an output of shape \[classes >= 2\], the model outputs \[1\]/,
    );
    rejects({ ...MLP, layers: [{ type: 'dense', units: 3, activation: 'softmax' }] }, /softmax_cross_entropy takes logits/);
    rejects({ ...MLP, loss: 'mse' }, /^model spec: metrics: "accuracy" needs loss "softmax_cross_entropy"/);
    rejects({ ...MLP, metrics: ['mae'] }, /"mae" needs loss "mse"/);
    rejects(
      {
        ...MLP,
        layers: [
          { type: 'dense', units: 3, name: 'dense_1' },
          { type: 'dense', units: 3 },
          { type: 'dense', units: 3 },
        ],
      },
      /^model spec: layers\[2\]\.name: layer name "dense_1" is used twice/,
    );
  });
});

describe('initParams', () => {
  test('deterministic per seed, glorot-uniform kernels within the limit, zero biases', () => {
    const model = buildModel(MLP);
    const a = initParams(model, 42);
    const b = initParams(model, 42);
    const c = initParams(model, 43);
    for (const p of model.params) assert.deepEqual(a.get(p.path), b.get(p.path));
    assert.notDeepEqual(a.get('dense.kernel'), c.get('dense.kernel'));
    assert.ok(a.get('dense.bias')!.every((v) => v === 0));
    const k = a.get('dense_1.kernel')!;
    const limit = Math.sqrt(6 / (32 + 3));
    assert.ok(k.every((v) => Math.abs(v) <= limit));
    // A large kernel's moments: mean ≈ 0, variance ≈ limit²/3.
    const big = initParams(
      buildModel({
        ...MLP,
        input: [400],
        layers: [
          { type: 'dense', units: 300 },
          { type: 'dense', units: 3 },
        ],
      }),
      1,
    ).get('dense.kernel')!;
    const mean = big.reduce((s, v) => s + v, 0) / big.length;
    const variance = big.reduce((s, v) => s + (v - mean) ** 2, 0) / big.length;
    const l2 = 6 / 700;
    assert.ok(Math.abs(mean) < 0.01 * Math.sqrt(l2));
    assert.ok(Math.abs(variance / (l2 / 3) - 1) < 0.01);
  });

  test('any slice equals the same slice of the whole (independent of how a device shards it)', () => {
    const model = buildModel(CNN);
    const p = model.params.find((q) => q.path === 'dense.kernel')!;
    const whole = initParamSlice(p, 9);
    for (const [start, len] of [
      [0, 10],
      [517, 300],
      [whole.length - 7, 7],
    ]) {
      assert.deepEqual(initParamSlice(p, 9, start, len), whole.subarray(start, start + len));
    }
    assert.throws(() => initParamSlice(p, 9, whole.length - 1, 2), /outside dense\.kernel/);
    assert.throws(() => initParams(model, 1.5), /seed must be a safe integer/);
  });

  test('seeds above 2^32 give distinct streams', () => {
    const p = buildModel(MLP).params[0];
    assert.notDeepEqual(initParamSlice(p, 2 ** 32 + 5), initParamSlice(p, 5));
  });
});
