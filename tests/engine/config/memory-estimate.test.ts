// The memory check (docs/architecture.md, "The memory model"): each part of a worker's estimate
// follows from the shapes, computed here by hand; the buffers it counts are the ones the worker's
// exchange really allocates; and a run that does not fit is refused with the limit it passes (free
// memory, a wasm heap's 4 GiB, a GPU's memory), its largest layer and how many devices would fit,
// while "auto" picks the gathered way when it fits and fully sharded when only that does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Mesh } from '../../../src/core/dtensor/mesh';
import { Layout } from '../../../src/core/dtensor/layout';
import { LayoutMap } from '../../../src/core/dtensor/layout-map';
import { planExchange } from '../../../src/core/collectives/exchange-plan';
import { buildModel } from '../../../src/core/models/index';
import {
  dataBytes,
  estimateWorkerMemory,
  RUNTIME_BYTES,
  WASM_HEAP_BYTES,
  type MemoryInputs,
} from '../../../src/engine/config/memory-estimate';
import { planMemory } from '../../../src/engine/config/memory-fit';
import { UnitGather } from '../../../src/workers/fully-sharded/unit-gather';
import { FullyShardedStep } from '../../../src/workers/fully-sharded/sharded-step';
import { StepExchange } from '../../../src/workers/step-exchange';
import type { DeviceInfo } from '../../../src/shared/api';

const GiB = 2 ** 30;
const cpus = (n: number): DeviceInfo[] =>
  Array.from({ length: n }, (_, i) => ({ deviceId: i, label: `CPU worker ${i}`, kind: 'CPU' }));

/** 100 → 1000 (relu) → 1000 (relu) → 10, kernels' rows and biases sharded over batch. */
const MLP = buildModel({
  type: 'mlp',
  input: [100],
  layers: [
    { type: 'dense', units: 1000, activation: 'relu' },
    { type: 'dense', units: 1000, activation: 'relu' },
    { type: 'dense', units: 10 },
  ],
  loss: 'softmax_cross_entropy',
});
const SHARDED = { 'dense.*kernel': ['batch', 'unsharded'], 'dense.*bias': ['batch'] };
const inputs = (mesh: string, fullySharded: boolean, more: Partial<MemoryInputs> = {}): MemoryInputs => ({
  model: MLP,
  mesh: Mesh.parse(mesh),
  layouts: SHARDED,
  optimizer: { learning_rate: 1 },
  globalBatchSize: 64,
  storage: 'host',
  fullySharded,
  reshardAfterForward: true,
  dataBytes: 0,
  ...more,
});

// Floats per layer and their shards over 4 devices (array_split: 100 rows → 25 each; 1000 → 250; 10 → 3,3,2,2).
const layer = [100 * 1000 + 1000, 1000 * 1000 + 1000, 1000 * 10 + 10];
const P = layer[0]! + layer[1]! + layer[2]!;
const shard0 = 25 * 1000 + 250 + (250 * 1000 + 250) + (250 * 10 + 3); // device 0 holds the larger pieces

test('fully sharded: 1/N of parameters, slots and gradients, one unit as tensors, two as buffers', () => {
  const m = estimateWorkerMemory(inputs('batch=4', true));
  assert.equal(m.shards, 4 * shard0);
  assert.equal(m.slots, 2 * 4 * shard0, "Adadelta's two slots");
  assert.equal(m.gradientShards, 4 * shard0, 'the reduce-scatter writes this device its shard of each gradient');
  assert.equal(m.paramTensors, 4 * layer[1]!, 'the largest unit (dense_1) as fresh tensors');
  assert.equal(m.gradTensors, 4 * layer[1]!);
  assert.equal(m.hostParams, 0, 'no full host copies');
  assert.equal(
    m.gatherBuffers,
    4 * layer[1]! + 4 * (250 * 1000 + 250),
    "the staging buffer: dense_1's full values and this device's shard",
  );
  assert.equal(m.reduceBuffers, 2 * 4 * layer[1]!, 'two pooled reduce-scatter buffers of the largest unit');
  assert.equal(m.runtime, RUNTIME_BYTES);
  assert.deepEqual(m.largestUnit, { name: 'dense_1', bytes: 4 * layer[1]! });
  // Kept: the input and each unit's output per example; the largest unit's outputs ×3 while it is differentiated.
  assert.equal(m.activations, 16 * ((100 + 1000 + 1000 + 10) * 4 + 1000 * 4 * 3));
  assert.equal(m.total, m.optimizerHeap + m.tensorMemory + m.hostBuffers + m.runtime);
  assert.equal(m.optimizerHeap, m.shards + m.slots + m.gradientShards);
});

test('gathered: full parameters as tensors and host copies, every gradient, the whole model in exchange buffers', () => {
  const m = estimateWorkerMemory(inputs('batch=4', false, { optimizer: { learning_rate: 1, use_ema: true } }));
  assert.equal(m.slots, 3 * 4 * shard0, 'two slots and the EMA average');
  assert.equal(m.paramTensors, 4 * P);
  assert.equal(m.gradTensors, 4 * P);
  assert.equal(m.hostParams, 4 * P, 'every variable is sharded, so every one has a full host copy');
  assert.equal(m.gatherBuffers, 4 * P + 4 * shard0);
  assert.equal(m.reduceBuffers, 4 * P);
  assert.equal(m.activations, 16 * (100 + 1000 + 1000 + 10) * 4 * 3);
});

test("the buffers counted are those the worker's exchange allocates", () => {
  const mesh = Mesh.parse('batch=3');
  const map = new LayoutMap(mesh);
  for (const [k, specs] of Object.entries(SHARDED)) map.set(k, new Layout(specs, mesh));
  for (const device of [0, 2]) {
    const plans = MLP.params.map((p) => planExchange(p.path, p.shape, map.layoutFor(p.path, p.shape.length), device));
    const units = FullyShardedStep.unitVars(MLP);
    const gather = new UnitGather(plans, [...units, ...units]);
    const exchange = new StepExchange(plans, [false, false, false, false, false, false], device, undefined, undefined, { units });
    const m = estimateWorkerMemory(inputs('batch=3', true));
    if (device === 0) {
      // Device 0 holds the larger shards (array_split), so the estimate is its.
      assert.equal(m.gatherBuffers, gather.stagingBytes);
      assert.equal(m.reduceBuffers, exchange.packedBytes);
    } else {
      assert.ok(gather.stagingBytes <= m.gatherBuffers);
      assert.equal(exchange.packedBytes, m.reduceBuffers, 'the pool is sized by full gradients, the same on every device');
    }
  }
});

/** 8 Dense layers of 8192 × 8192 on an 8192-wide input and a 10-class head: 537M parameters, 2.0 GiB. */
const BIG = buildModel({
  type: 'mlp',
  input: [8192],
  layers: [
    ...Array.from({ length: 8 }, () => ({ type: 'dense', units: 8192, activation: 'relu' })),
    { type: 'dense', units: 10 },
  ],
  loss: 'softmax_cross_entropy',
});
const big = (mesh: string) => ({ ...inputs(mesh, true), model: BIG, globalBatchSize: 32 });

test('one worker cannot hold a 2 GiB model with its slots: refused for the 4 GiB heap, naming the largest layer and what fits', () => {
  // Plenty of host memory: the 4 GiB heap is the limit that binds.
  const plan = planMemory(big('batch=1'), 'auto', { devices: cpus(1), free: 128 * GiB });
  assert.ok(plan.problem, 'refused');
  assert.doesNotMatch(plan.problem, /\n/);
  assert.match(
    plan.problem,
    /^the run needs about \d+\.\d GiB per worker \(fully sharded: parameter shards 2\.0 GiB, optimizer slots 4\.0 GiB/,
  );
  assert.match(
    plan.problem,
    /its optimizer heap \(shards, slots, gradient shards\) would hold 8\.0 GiB, past a wasm heap's 4 GiB/,
  );
  assert.match(plan.problem, /its largest layer, dense, has 256 MiB of parameters, which a fully sharded worker gathers whole/);
  // Two workers: half of (parameters + two slots + gradients) is 4 × 1.0 GiB, just past 4 GiB with the head; three fit.
  const two = estimateWorkerMemory(big('batch=2'));
  const three = estimateWorkerMemory(big('batch=3'));
  assert.ok(
    two.optimizerHeap > WASM_HEAP_BYTES && three.optimizerHeap < WASM_HEAP_BYTES,
    `${two.optimizerHeap} ${three.optimizerHeap}`,
  );
  assert.match(plan.problem, /; 3 devices would fit \(fully sharded, layouts as given\)$/);
});

test("when the engine's copy of a checkpoint alone passes the free memory, the refusal says so, not only 'no mesh'", () => {
  // 2.0 GiB of parameters and two Adadelta slots: the engine holds 2.5 × 6.0 GiB while it writes one.
  const plan = planMemory(big('batch=4'), 'auto', { devices: cpus(4), free: 14 * GiB });
  assert.ok(plan.problem, 'refused');
  assert.match(
    plan.problem,
    /no mesh of up to 64 devices would fit: the engine alone holds 15\.0 GiB while it writes a checkpoint, past the 14\.0 GiB free$/,
  );
  // With room for the engine's copy, the advice is about devices again.
  const roomy = planMemory(big('batch=4'), 'auto', { devices: cpus(4), free: 20 * GiB });
  assert.doesNotMatch(roomy.problem ?? '', /the engine alone/);
});

test('auto: gathered when it fits, fully sharded when only that fits, and the reasons when neither does', () => {
  const small = planMemory(inputs('batch=2', false), 'auto', { devices: cpus(2), free: 20 * GiB });
  assert.deepEqual([small.fullySharded, small.problem], [false, null]);
  const four = planMemory(big('batch=4'), 'auto', { devices: cpus(4), free: 64 * GiB });
  assert.deepEqual([four.fullySharded, four.problem], [true, null], 'gathered, each worker would hold the whole model');
  // Per worker: 1/4 of 2 GiB parameters, 4 GiB slots and 2 GiB gradients, a few units' worth of
  // tensors and buffers, and a checkpoint's copy of one variable's shard with two 64 MiB transfer
  // pieces in flight (issue 24: shards go to the engine in pieces, one variable at a time).
  const step = four.estimate.total - four.estimate.checkpoint;
  assert.ok(step > 3 * GiB && step < 4 * GiB, `${step}`);
  const largestShard = (8192 * 8192 * 4) / 4; // an 8192 × 8192 float32 kernel sharded over 4 devices
  assert.equal(four.estimate.checkpoint, largestShard + 2 * 64 * 2 ** 20);
  const forced = planMemory(big('batch=4'), false, { devices: cpus(4), free: 64 * GiB });
  assert.equal(forced.fullySharded, false);
  assert.match(forced.problem!, /parameters gathered: .* would hold 4\.0 GiB, past tfjs-wasm's 4 GiB heap/);
  assert.match(
    forced.problem!,
    /fully sharded, layouts as given, it would fit on these 4 devices \("fullySharded": "auto" or true\)$/,
  );
  // 20 GiB free (this development machine): the steps fit, but a checkpoint (every worker copying its
  // shards and slots, the engine holding them all) would not.
  const tight = planMemory(big('batch=4'), 'auto', { devices: cpus(4), free: 20 * GiB });
  assert.match(
    tight.problem!,
    /there is 20\.0 GiB of free memory for 4 workers and the engine's checkpoint \(\d+\.\d GiB needed\)/,
  );
});

test('a GPU: its memory holds the tensors; replicated layouts get a sharding suggestion', () => {
  const gpus: DeviceInfo[] = [0, 1].map((i) => ({ deviceId: i, label: `GPU ${i}`, kind: 'GPU', memoryBytes: 2 * GiB }));
  const replicated = { ...big('batch=2'), layouts: {}, storage: 'tensor' as const };
  const plan = planMemory(replicated, 'auto', { devices: gpus, free: 64 * GiB });
  assert.match(plan.problem!, /of tensors do not fit the 2\.0 GiB of GPU 0/);
  assert.match(plan.problem!, /\d+ devices would fit \(fully sharded, with each variable's first axis sharded over batch\)/);
});

test('data: a loaded source counts all its rows, a streamed one a batch, its labels and the image cache', () => {
  const shape = { examples: 1_000_000, featureShape: [1024] };
  assert.equal(dataBytes(shape, 32), 1_000_000 * (4096 + 4));
  assert.equal(dataBytes({ ...shape, streamed: true }, 32), 2 * 32 * (4096 + 4) + 4 * 1_000_000);
  assert.equal(dataBytes({ ...shape, streamed: true, cacheBytes: 256 * 2 ** 20 }, 32), 2 * 32 * (4096 + 4) + 4e6 + 256 * 2 ** 20);
});

test('a Keras model with what units do not carry (BatchNormalization state) is never planned fully sharded', () => {
  const L = (class_name: string, config: object) => ({ module: 'keras.layers', class_name, config, registered_name: null });
  const bn = buildModel({
    type: 'keras',
    json: {
      module: 'keras',
      class_name: 'Sequential',
      config: {
        name: 'bn',
        layers: [
          L('InputLayer', { batch_shape: [null, 100], name: 'in' }),
          L('Dense', { name: 'd1', units: 1000 }),
          L('BatchNormalization', { name: 'norm' }),
          L('Dense', { name: 'd2', units: 10 }),
        ],
      },
    },
    loss: 'mse',
  });
  const run = { ...inputs('batch=2', false), model: bn, layouts: {} };
  const forced = planMemory(run, true, { devices: cpus(2), free: 20 * GiB });
  assert.equal(
    forced.problem,
    '"fullySharded": true: layer "norm" (BatchNormalization) has non-trainable variables (moving statistics, adapted or frozen weights), which fully sharded units do not carry; use "auto" or false',
  );
  // auto: gathered when it fits; when it does not, refused as gathered, never fully sharded.
  assert.deepEqual(
    [planMemory(run, 'auto', { devices: cpus(2), free: 20 * GiB })].map((p) => [p.fullySharded, p.problem]),
    [[false, null]],
  );
  const tight = planMemory(run, 'auto', { devices: cpus(2), free: 1 });
  assert.equal(tight.fullySharded, false);
  assert.match(tight.problem ?? '', /^the run needs about .* per worker \(parameters gathered/);
});
