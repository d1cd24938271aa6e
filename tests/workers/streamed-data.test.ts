// Data that does not fit in memory, with real worker processes. A worker reads its batch's rows from a
// stored .npz by offset; the same arrays in a compressed .npz are loaded whole, as before. The batch
// at step t stays a pure function of (dataset, batch size, seed, t): 1 and 2 devices, the held-out
// evaluation and a run resumed from a checkpoint give the loaded data's numbers, bit for bit.
// And the figure: a worker's peak resident memory training on a 4 GiB .npy is that of training on a
// 40 MiB one with the same model, within 48 MiB (the labels, read whole, and the batch order of 100
// times the rows account for about 12 MiB of it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Mesh } from '../../src/core/dtensor/mesh';
import { encodeNpy, encodeNpz } from '../../src/core/data/index';
import { shardsForDevice, toCheckpointTensors } from '../../src/engine/coordinator/checkpoint-shards';
import type { ShardRecord, TrainSetup } from '../../src/shared/worker-protocol';
import { startSession } from '../engine/coordinator/helpers';
import { bits } from '../helpers/train-run';
import { seededRandom, testSeed } from '../helpers/seed';
import { npyHeader } from '../helpers/npy-header';
import { AUTO_COMPUTE } from '../../src/shared/settings';

type Setup = Omit<TrainSetup, 'socketDir'>;
const dir = mkdtempSync(join(tmpdir(), 'dt-stream-workers-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const rand = seededRandom(testSeed('streamed data'));

const ROWS = 90;
const x = Float32Array.from({ length: ROWS * 6 }, () => rand() * 2 - 1);
const y = Int32Array.from({ length: ROWS }, () => Math.floor(rand() * 3));
const entries = [
  { name: 'x', values: x, dtype: 'float32' as const, shape: [ROWS, 6] },
  { name: 'y', values: y, dtype: 'int32' as const, shape: [ROWS] },
];
const STORED = join(dir, 'stored.npz');
const PACKED = join(dir, 'packed.npz');
writeFileSync(STORED, encodeNpz(entries));
writeFileSync(PACKED, encodeNpz(entries, { compress: true }));

const setup = (path: string): Setup => ({
  model: {
    type: 'mlp',
    input: [6],
    layers: [
      { type: 'dense', units: 16, activation: 'relu' },
      { type: 'dropout', rate: 0.2 },
      { type: 'dense', units: 3 },
    ],
    loss: 'softmax_cross_entropy',
    metrics: ['accuracy'],
  },
  data: { kind: 'npz', path, validation: { fraction: 0.2 } } as unknown as Setup['data'],
  layouts: { 'dense.*kernel': ['batch', 'unsharded'] },
  optimizer: { learning_rate: 1.0, rho: 0.9, epsilon: 1e-6 },
  globalBatchSize: 12,
  seed: 21,
  compute: AUTO_COMPUTE,
});

interface Outcome {
  losses: number[];
  evaluation: { loss: number; metrics: Record<string, number> };
  shards: ShardRecord[];
}

const sorted = (s: ShardRecord[]) =>
  s.sort((a, b) => `${a.path}${a.slices[0]?.start}`.localeCompare(`${b.path}${b.slices[0]?.start}`));

/** `steps` steps (in two sessions when `resumeAt` is given: a checkpoint, then a resume), then an evaluation. */
async function train(s: Setup, mesh: string, steps: number, resumeAt?: number): Promise<Outcome> {
  const losses: number[] = [];
  let saved;
  const first = resumeAt ?? steps;
  const a = await startSession(mesh, s);
  try {
    a.onEvent((e) => e.type === 'step' && e.deviceId === 0 && losses.push(e.report.loss));
    await a.train(0, first);
    if (resumeAt === undefined) return { losses, evaluation: await a.evaluate(), shards: sorted(await a.exportShards()) };
    saved = toCheckpointTensors(await a.exportShards(), mesh);
  } finally {
    await a.close();
  }
  const b = await startSession(mesh, s);
  try {
    b.onEvent((e) => e.type === 'step' && e.deviceId === 0 && losses.push(e.report.loss));
    const layouts = await b.variableLayouts();
    await b.importShards((d) => shardsForDevice(saved, layouts, Mesh.parse(mesh), d), first);
    await b.train(first, steps - first);
    return { losses, evaluation: await b.evaluate(), shards: sorted(await b.exportShards()) };
  } finally {
    await b.close();
  }
}

function assertSame(a: Outcome, b: Outcome, what: string): void {
  assert.deepEqual(a.losses, b.losses, `${what}: losses`);
  assert.deepEqual(a.evaluation, b.evaluation, `${what}: evaluation`);
  b.shards.forEach((s, i) => assert.equal(bits(a.shards[i]!.data), bits(s.data), `${what}: ${s.path}`));
}

test(
  'streamed rows train, evaluate and resume to the loaded rows’ numbers, on 1 and 2 devices',
  { timeout: 240_000 },
  async () => {
    for (const mesh of ['batch=1', 'batch=2']) {
      const streamed = await train(setup(STORED), mesh, 8);
      assert.equal(streamed.losses.length, 8);
      assert.ok(streamed.losses.every(Number.isFinite));
      assertSame(streamed, await train(setup(PACKED), mesh, 8), mesh);
      assertSame(await train(setup(STORED), mesh, 8, 5), streamed, `${mesh}, resumed at step 5`);
    }
  },
);

/** An .npy of `rows` × 1024 float32, written in 64 MiB pieces of a repeating pattern, and its labels. */
function bigNpy(name: string, rows: number): { x: string; y: string } {
  const features = 1024;
  const xPath = join(dir, `${name}-x.npy`);
  const head = npyHeader(`{'descr': '<f4', 'fortran_order': False, 'shape': (${rows}, ${features}), }`);
  const fd = openSync(xPath, 'w');
  writeSync(fd, head);
  const pieceRows = 16 * 1024;
  const piece = Float32Array.from({ length: pieceRows * features }, (_, i) => Math.sin(i * 0.001));
  for (let r = 0; r < rows; r += pieceRows) {
    const n = Math.min(pieceRows, rows - r) * features;
    writeSync(fd, Buffer.from(piece.buffer, 0, n * 4));
  }
  closeSync(fd);
  const yPath = join(dir, `${name}-y.npy`);
  writeFileSync(
    yPath,
    encodeNpy(
      Int32Array.from({ length: rows }, (_, i) => i % 10),
      'int32',
      [rows],
    ),
  );
  return { x: xPath, y: yPath };
}

async function peakTraining(files: { x: string; y: string }): Promise<number[]> {
  const s: Setup = {
    model: {
      type: 'mlp',
      input: [1024],
      layers: [
        { type: 'dense', units: 64, activation: 'relu' },
        { type: 'dense', units: 10 },
      ],
      loss: 'softmax_cross_entropy',
      metrics: [],
    },
    data: { kind: 'npy', ...files } as unknown as Setup['data'],
    layouts: {},
    optimizer: { learning_rate: 0.1 },
    globalBatchSize: 64,
    seed: 3,
    compute: AUTO_COMPUTE,
  };
  const session = await startSession('batch=2', s);
  try {
    await session.train(0, 20);
    return (await session.stats()).map((d) => d.peakRssBytes!);
  } finally {
    await session.close();
  }
}

test('a worker training on a 4 GiB .npy holds what it holds on a 40 MiB one', { timeout: 600_000 }, async () => {
  const small = await peakTraining(bigNpy('small', 10 * 1024)); // 40 MiB
  const large = await peakTraining(bigNpy('large', 1024 * 1024)); // 4 GiB
  rmSync(join(dir, 'large-x.npy'));
  const MiB = 2 ** 20;
  small.forEach((s, i) => {
    const diff = large[i]! - s;
    process.stdout.write(
      `device ${i}: peak RSS ${(s / MiB).toFixed(0)} MiB on 40 MiB, ${(large[i]! / MiB).toFixed(0)} MiB on 4 GiB (+${(diff / MiB).toFixed(1)} MiB)\n`,
    );
    assert.ok(Math.abs(diff) < 48 * MiB, `device ${i}: ${s} vs ${large[i]}`);
  });
});
