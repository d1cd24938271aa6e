// Fully sharded parameters change no number: real worker processes train each run twice, once the way
// dtrain always did (full parameters gathered after every update, whole-model backward) and once fully
// sharded (each unit's parameters gathered just before it computes and freed after, backward unit by
// unit with its forward recomputed, each unit's gradients reduce-scattered as soon as they are done).
// Every reported loss and every exported shard of parameters and optimizer state (slots, EMA averages)
// must be the same bits: on 1, 2 and 3 devices, dense, conv and embedding models, with clipping and
// EMA, with reshardAfterForward off, with the communication thread and tensor storage, and across a
// checkpoint resumed on another mesh.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Mesh } from '../../../src/core/dtensor/mesh';
import { encodeNpz } from '../../../src/core/data/index';
import { shardsForDevice, toCheckpointTensors } from '../../../src/engine/coordinator/checkpoint-shards';
import type { TrainSetup } from '../../../src/shared/worker-protocol';
import { startSession } from '../../engine/coordinator/helpers';
import { bits, trainRun, type TrainedRun } from '../../helpers/train-run';
import { seededRandom, testSeed } from '../../helpers/seed';
import { EMBEDDING_JSON } from '../../helpers/embedding-model';
import { AUTO_COMPUTE } from '../../../src/shared/settings';

type Setup = Omit<TrainSetup, 'socketDir'>;
const STEPS = 3;
/** The run's compute path (TrainSetup.compute): the communication thread off unless a test says otherwise. */
const OFF = { ...AUTO_COMPUTE, commThread: 'off' } as const;

const dir = mkdtempSync(join(tmpdir(), 'dt-fsdp-bits-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const rand = seededRandom(testSeed('fully sharded bits'));

function npz(name: string, x: Float32Array | Int32Array, shape: number[], y: Int32Array): string {
  const file = join(dir, `${name}.npz`);
  const intX = x instanceof Int32Array;
  writeFileSync(
    file,
    encodeNpz([
      { name: 'x', values: x, dtype: intX ? 'int32' : 'float32', shape: [y.length, ...shape] },
      { name: 'y', values: y, dtype: 'int32', shape: [y.length] },
    ]),
  );
  return file;
}
const uniform = (n: number) => Float32Array.from({ length: n }, () => rand() * 2 - 1);
const classes = (n: number, k: number) => Int32Array.from({ length: n }, () => Math.floor(rand() * k));
const data = (file: string) => ({ kind: 'npz', path: file, task: 'classification' }) as unknown as Setup['data'];

/** Three dense layers, kernels and biases sharded; clipnorm and EMA. */
const MLP: Setup = {
  model: {
    type: 'mlp',
    input: [12],
    layers: [
      { type: 'dense', units: 40, activation: 'relu' },
      { type: 'dropout', rate: 0.25 },
      { type: 'dense', units: 24, activation: 'tanh' },
      { type: 'dense', units: 5 },
    ],
    loss: 'softmax_cross_entropy',
    metrics: ['accuracy'],
  },
  data: data(npz('mlp', uniform(60 * 12), [12], classes(60, 5))),
  layouts: { 'dense.*kernel': ['batch', 'unsharded'], 'dense.*bias': ['batch'] },
  optimizer: { learning_rate: 1.0, rho: 0.9, epsilon: 1e-6, clipnorm: 0.5, use_ema: true, ema_momentum: 0.9 },
  globalBatchSize: 15,
  seed: 4,
  compute: OFF,
};

/** conv → max-pool (one fused op), flatten, dense; the conv kernel sharded over its filters; global clipping. */
const CNN: Setup = {
  model: {
    type: 'sequential',
    input: [6, 6, 2],
    layers: [
      { type: 'conv2d', filters: 6, kernelSize: 3, padding: 'same', activation: 'relu' },
      { type: 'maxPool2d', poolSize: 2 },
      { type: 'flatten' },
      { type: 'dense', units: 3 },
    ],
    loss: 'softmax_cross_entropy',
    metrics: [],
  },
  data: data(npz('cnn', uniform(24 * 72), [6, 6, 2], classes(24, 3))),
  layouts: { 'conv2d.kernel': ['unsharded', 'unsharded', 'unsharded', 'batch'], 'dense.kernel': ['batch', 'unsharded'] },
  optimizer: { learning_rate: 1.0, rho: 0.95, epsilon: 1e-7, global_clipnorm: 0.3 },
  globalBatchSize: 12,
  seed: 5,
  compute: OFF,
};

/** A Keras model with an Embedding (sparse gradients), its table's rows and the dense kernel sharded; EMA. */
const EMBEDDING: Setup = {
  model: {
    type: 'keras',
    json: EMBEDDING_JSON,
    loss: {
      module: 'keras.losses',
      class_name: 'SparseCategoricalCrossentropy',
      config: { from_logits: true },
      registered_name: null,
    },
  },
  data: data(
    npz(
      'embedding',
      Int32Array.from({ length: 30 * 3 }, () => Math.floor(rand() * 11)),
      [3],
      classes(30, 3),
    ),
  ),
  layouts: { 'embedding.*': ['batch', 'unsharded'], 'dense/kernel': ['batch', 'unsharded'] },
  optimizer: { learning_rate: 1.0, rho: 0.9, epsilon: 1e-6, use_ema: true },
  globalBatchSize: 10,
  seed: 9,
  compute: OFF,
};

function assertSameBits(sharded: TrainedRun, plain: TrainedRun, what: string): void {
  assert.equal(plain.losses.length, sharded.losses.length, what);
  assert.deepEqual(sharded.losses, plain.losses, `${what}: losses`);
  assert.ok(plain.losses.every(Number.isFinite), `${what}: ${plain.losses}`);
  assert.deepEqual(
    sharded.shards.map((s) => s.path),
    plain.shards.map((s) => s.path),
  );
  plain.shards.forEach((s, i) =>
    assert.equal(bits(sharded.shards[i]!.data), bits(s.data), `${what}: ${s.path} from ${JSON.stringify(s.slices)}`),
  );
}

const CASES: { name: string; setup: Setup; meshes: string[] }[] = [
  { name: 'dense, dropout, clipnorm, EMA', setup: MLP, meshes: ['batch=1', 'batch=2', 'batch=3'] },
  { name: 'conv fused with its max-pool, global_clipnorm', setup: CNN, meshes: ['batch=2', 'batch=3'] },
  { name: 'embedding (sparse gradients), EMA', setup: EMBEDDING, meshes: ['batch=2', 'batch=3'] },
];

for (const c of CASES) {
  for (const mesh of c.meshes) {
    test(`${c.name}, ${mesh}: fully sharded gives the gathered path's bits`, { timeout: 120_000 }, async () => {
      const plain = await trainRun(mesh, c.setup, STEPS);
      const sharded = await trainRun(mesh, { ...c.setup, fullySharded: true }, STEPS);
      assertSameBits(sharded, plain, `${c.name} on ${mesh}`);
    });
  }
}

test('reshardAfterForward off (parameters kept for backward) gives the same bits', { timeout: 120_000 }, async () => {
  const plain = await trainRun('batch=3', MLP, STEPS);
  const kept = await trainRun('batch=3', { ...MLP, fullySharded: true, reshardAfterForward: false }, STEPS);
  assertSameBits(kept, plain, 'reshardAfterForward off');
});

test('with the communication thread, and with tensor storage, the same bits', { timeout: 180_000 }, async () => {
  const plain = await trainRun('batch=3', MLP, STEPS);
  const thread = await trainRun('batch=3', { ...MLP, fullySharded: true, compute: { ...OFF, commThread: 'on' } }, STEPS);
  assertSameBits(thread, plain, 'communication thread');
  const tensor = await trainRun(
    'batch=2',
    { ...EMBEDDING, fullySharded: true, compute: { ...OFF, variableStorage: 'tensor' } },
    STEPS,
  );
  assertSameBits(tensor, await trainRun('batch=2', EMBEDDING, STEPS), 'tensor storage');
});

/** `first` steps on meshA, a checkpoint of every device's shards, then `then` more steps resumed on meshB. */
async function resumedOn(
  [setupA, setupB]: [Setup, Setup],
  meshA: string,
  meshB: string,
  first: number,
  then: number,
): Promise<TrainedRun> {
  const a = await startSession(meshA, setupA);
  let saved;
  const losses: number[] = [];
  try {
    a.onEvent((e) => e.type === 'step' && e.deviceId === 0 && losses.push(e.report.loss));
    await a.train(0, first);
    saved = toCheckpointTensors(await a.exportShards(), meshA);
  } finally {
    await a.close();
  }
  const b = await startSession(meshB, setupB);
  try {
    b.onEvent((e) => e.type === 'step' && e.deviceId === 0 && losses.push(e.report.loss));
    const layouts = await b.variableLayouts();
    await b.importShards((d) => shardsForDevice(saved, layouts, Mesh.parse(meshB), d), first);
    await b.train(first, then);
    const shards = (await b.exportShards()).sort((x, y) =>
      `${x.path}${x.slices[0]?.start}`.localeCompare(`${y.path}${y.slices[0]?.start}`),
    );
    return { losses, gradNorms: [], shards, initial: [], workers: [] };
  } finally {
    await b.close();
  }
}

test('a fully sharded checkpoint resumed on another mesh gives the gathered path bits', { timeout: 180_000 }, async () => {
  const sharded = { ...CNN, fullySharded: true };
  const plain = await resumedOn([CNN, CNN], 'batch=2', 'batch=3', 2, 2);
  assertSameBits(await resumedOn([sharded, sharded], 'batch=2', 'batch=3', 2, 2), plain, 'resumed from batch=2 on batch=3');
  // And across the two ways: a gathered run's checkpoint resumed fully sharded, and back.
  const mlpSharded = { ...MLP, fullySharded: true };
  const gathered = await resumedOn([MLP, MLP], 'batch=3', 'batch=2', 2, 1);
  assertSameBits(
    await resumedOn([MLP, mlpSharded], 'batch=3', 'batch=2', 2, 1),
    gathered,
    'gathered on batch=3, then fully sharded',
  );
  assertSameBits(
    await resumedOn([mlpSharded, MLP], 'batch=3', 'batch=2', 2, 1),
    gathered,
    'fully sharded on batch=3, then gathered',
  );
});
