// Shared test helpers for the store: temp databases, a sample RunConfig, sharded checkpoint tensors.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MetricPoint, RunConfig } from '../../../src/shared/api';
import { Layout, Mesh, UNSHARDED } from '../../../src/core/dtensor/index';
import { extractShard, shardSlices } from '../../../src/core/dtensor/shard';
import { type CheckpointData, type CheckpointTensor, tensorFromDeviceShards } from '../../../src/core/checkpoint/index';

export function tempDir(prefix: string): { dir: string; file: (name: string) => string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `dtrain-${prefix}-`));
  return { dir, file: (name) => join(dir, name), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function sampleConfig(overrides: Partial<RunConfig> = {}): RunConfig {
  return {
    name: 'mlp on iris',
    model: { type: 'mlp', kind: 'mlp', hidden: [16] },
    data: { kind: 'builtin', name: 'iris' },
    mesh: 'batch=2',
    optimizer: { name: 'Adadelta', learning_rate: 0.001, rho: 0.95, epsilon: 1e-7, clipnorm: null, is_legacy_optimizer: false },
    steps: 100,
    globalBatchSize: 32,
    seed: 7,
    ...overrides,
  };
}

export function point(step: number, loss: number, extra: Record<string, number> = {}): MetricPoint {
  return {
    step,
    loss,
    metrics: extra,
    learningRate: 0.001,
    gradNorm: 0.5,
    stepTimeMs: 3.5,
    samplesPerSec: 1000,
    time: 1_700_000_000_000 + step,
  };
}

/** Deterministic pseudo-random floats (mulberry32), so a test can regenerate what was saved. */
export function floats(seed: number, n: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    out[i] = ((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5;
  }
  return out;
}

/** A tensor as the devices of `layout` would save it. */
export function shardedTensor(path: string, globalShape: number[], layout: Layout, global: Float32Array): CheckpointTensor {
  const shards = layout.mesh.deviceIds.map((deviceId) => ({
    deviceId,
    data: extractShard(global, globalShape, shardSlices(globalShape, layout, deviceId)),
  }));
  return tensorFromDeviceShards({ path, dtype: 'float32', globalShape, layout, shards });
}

/** A checkpoint of one Dense layer with Adadelta slots on `meshText` (rows of the kernel sharded over batch). */
export function sampleCheckpoint(step: number, meshText = 'batch=2', seed = step): CheckpointData {
  const mesh = Mesh.parse(meshText);
  const kernel = new Layout(['batch', UNSHARDED], mesh);
  const bias = Layout.replicated(mesh, 1);
  const tensors: CheckpointTensor[] = [];
  for (const [i, prefix] of [
    'params',
    'optimizer/Adadelta/accumulated_grad',
    'optimizer/Adadelta/accumulated_delta_var',
  ].entries()) {
    tensors.push(shardedTensor(`${prefix}/dense.kernel`, [7, 3], kernel, floats(seed * 10 + i, 21)));
    tensors.push(shardedTensor(`${prefix}/dense.bias`, [3], bias, floats(seed * 10 + i + 5, 3)));
  }
  tensors.push({
    path: 'optimizer/iteration',
    dtype: 'int64',
    globalShape: [],
    layout: { specs: [], mesh: meshText },
    shards: [{ slices: [], data: Float64Array.of(step) }],
  });
  return {
    step,
    iterations: step,
    state: { rng: [1, 2, 3, seed], cursor: { epoch: 0, index: step * 32 } },
    mesh: meshText,
    tensors,
  };
}
