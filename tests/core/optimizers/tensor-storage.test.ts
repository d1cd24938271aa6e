// Tensor storage (tf.Variables: the path a worker takes on the tensorflow backend) against host storage
// (the fused kernel's heap), fed the way a worker feeds them: host Float32Array gradient shards. The
// kernels claim the same bits, so every parameter and slot must match exactly, on 1–3 simulated devices,
// with each clipping rule, EMA and weight decay; and nothing may leak per step.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useCpuBackend } from '../../helpers/tf';
import { seededValues } from '../../helpers/reference-adadelta';
import {
  Adadelta,
  IndexedSlices,
  Layout,
  Mesh,
  ShardedVariable,
  UNSHARDED,
  createLocalCollectives,
  type AdadeltaArgs,
} from '../../../src/core';
import type { Storage } from '../../../src/core/variables/sharded-variable';

const tf = await useCpuBackend();
const SEED = Number(process.env.DTRAIN_TEST_SEED ?? 7);
console.log(`tensor-storage seed ${SEED} (DTRAIN_TEST_SEED)`);

const SPECS = [
  { name: 'dense.kernel', shape: [7, 5], specs: ['model', UNSHARDED] }, // 7 rows over 2 or 3 shards: uneven
  { name: 'dense.bias', shape: [5], specs: [UNSHARDED] },
];
const size = (s: number[]) => s.reduce((a, b) => a * b, 1);

/** One device's variables and optimizer on `mesh`, with the given storage. */
function device(
  mesh: Mesh,
  deviceId: number,
  storage: Storage,
  args: AdadeltaArgs,
  collectives: ReturnType<typeof createLocalCollectives>[number],
) {
  const vars = SPECS.map(
    (s, i) =>
      new ShardedVariable({
        name: s.name,
        globalShape: s.shape,
        layout: new Layout(s.specs, mesh),
        deviceId,
        storage,
        initialValue: seededValues(SEED + i, size(s.shape), -1, 1),
      }),
  );
  return { vars, opt: new Adadelta({ ...args, mesh, collectives }) };
}

/** Each step's gradient, cut to each device's shard as a host array (what the ring delivers). */
function localGrad(v: ShardedVariable, step: number, i: number): Float32Array {
  const global = Float32Array.from(seededValues(SEED * 100 + step * 10 + i, size([...v.globalShape]), -3, 3));
  const g = new Float32Array(v.localSize);
  const [rows, cols] = [v.slices[0]!, v.slices[1]];
  if (!cols) g.set(global.subarray(rows.start, rows.start + rows.size));
  else
    for (let r = 0; r < rows.size; r++)
      g.set(
        global.subarray(
          (rows.start + r) * v.globalShape[1]! + cols.start,
          (rows.start + r) * v.globalShape[1]! + cols.start + cols.size,
        ),
        r * cols.size,
      );
  return g;
}

async function run(devices: number, storage: Storage, args: AdadeltaArgs, steps: number) {
  const mesh = Mesh.parse(`model=${devices}`);
  const collectives = createLocalCollectives(mesh.deviceIds);
  const ds = mesh.deviceIds.map((id, k) => device(mesh, id, storage, args, collectives[k]!));
  let tensorsAfterFirst = -1;
  for (let t = 0; t < steps; t++) {
    await Promise.all(ds.map(({ vars, opt }) => opt.applyGradients(vars.map((v, i) => [localGrad(v, t, i), v] as const))));
    if (t === 0) tensorsAfterFirst = tf.memory().numTensors;
  }
  const tensorsAtEnd = tf.memory().numTensors;
  const state = ds.map(({ vars, opt }) => [
    ...vars.map((v) => Array.from(v.readLocal())),
    ...opt.getWeights().map((w) => (typeof w === 'number' ? w : Array.from(w))),
  ]);
  return {
    state,
    leaked: tensorsAtEnd - tensorsAfterFirst,
    storages: ds.flatMap(({ opt }) => opt.variables.map((v) => ('storage' in v ? v.storage : 'n/a'))),
  };
}

const CASES: [string, AdadeltaArgs][] = [
  [
    'clipnorm, EMA with overwrite, weight decay',
    { learningRate: 1, rho: 0.9, epsilon: 1e-6, clipnorm: 0.5, useEma: true, emaOverwriteFrequency: 3, weightDecay: 0.01 },
  ],
  ['global_clipnorm', { learningRate: 0.5, globalClipnorm: 0.8 }],
  ['clipvalue', { learningRate: 2, clipvalue: 0.7 }],
];

for (const [label, args] of CASES) {
  test(`tensor storage equals host storage bit for bit on 1, 2, 3 devices: ${label}`, async () => {
    for (const n of [1, 2, 3]) {
      const host = await run(n, 'host', args, 6);
      const tensor = await run(n, 'tensor', args, 6);
      assert.ok(
        tensor.storages.every((s) => s === 'tensor' || s === 'n/a'),
        'slots follow the variables into tensor storage',
      );
      assert.ok(host.storages.every((s) => s === 'host' || s === 'n/a'));
      assert.deepEqual(tensor.state, host.state, `${n} device(s)`);
      assert.equal(tensor.leaked, 0, `${n} device(s): tensors leaked per step`);
    }
  });
}

test('sparse gradients on tensor storage equal host storage', async () => {
  const mesh = Mesh.parse('model=1');
  const make = (storage: Storage) => {
    const v = new ShardedVariable({
      name: 't',
      globalShape: [6, 2],
      layout: new Layout(['model', UNSHARDED], mesh),
      deviceId: 0,
      storage,
      initialValue: seededValues(SEED, 12),
    });
    return { v, opt: new Adadelta({ learningRate: 1, clipnorm: 0.3, mesh }) };
  };
  const a = make('host');
  const b = make('tensor');
  for (let t = 0; t < 4; t++) {
    const values = Float32Array.from(seededValues(SEED + 50 + t, 6, -2, 2));
    for (const { v, opt } of [a, b]) await opt.applyGradients([[new IndexedSlices(values, [t % 6, 4, t % 6], [6, 2]), v]]);
  }
  assert.deepEqual(Array.from(b.v.readLocal()), Array.from(a.v.readLocal()));
  assert.deepEqual(
    b.opt
      .getWeights()
      .slice(1)
      .map((w) => Array.from(w as Float32Array)),
    a.opt
      .getWeights()
      .slice(1)
      .map((w) => Array.from(w as Float32Array)),
  );
});

test('assigning a tensor to a tensor-storage shard leaves no tensor behind', () => {
  const v = new ShardedVariable({
    name: 'x',
    globalShape: [2, 3],
    layout: Layout.replicated(Mesh.single(), 2),
    deviceId: 0,
    storage: 'tensor',
  });
  const flat = tf.tensor1d([1, 2, 3, 4, 5, 6]);
  const before = tf.memory().numTensors;
  v.assignLocal(flat);
  assert.equal(tf.memory().numTensors, before);
  assert.deepEqual(Array.from(v.readLocal()), [1, 2, 3, 4, 5, 6]);
  flat.dispose();
  assert.deepEqual(Array.from(v.readLocal()), [1, 2, 3, 4, 5, 6], 'the shard keeps its own reference to the data');
});

test('a global host gradient for a sharded tensor-storage variable is cut on the host without leaking', async () => {
  const mesh = Mesh.parse('model=2');
  const make = (storage: Storage) =>
    new ShardedVariable({
      name: 'k',
      globalShape: [4, 2],
      layout: new Layout(['model', UNSHARDED], mesh),
      deviceId: 0,
      storage,
      initialValue: seededValues(SEED, 8),
    });
  const [a, b] = [make('host'), make('tensor')];
  const [optA, optB] = [new Adadelta({ learningRate: 1, mesh }), new Adadelta({ learningRate: 1, mesh })];
  const global = Float32Array.from(seededValues(SEED + 9, 8, -2, 2));
  await optB.applyGradients([[global, b]]);
  const before = tf.memory().numTensors;
  await optA.applyGradients([[global, a]]);
  await optA.applyGradients([[global, a]]);
  await optB.applyGradients([[global, b]]);
  assert.equal(tf.memory().numTensors, before);
  assert.deepEqual(Array.from(b.readLocal()), Array.from(a.readLocal()));
  assert.equal(b.localSize, 4, 'device 0 holds half the rows');
});
