// Issue 24 item 1: a checkpoint of about 2 GiB per worker crashed the coordinator, because the shards
// crossed the process channel in one message and Node refuses a message of 2 GiB or more. Shards now
// travel in bounded pieces both ways. Proven here at a small scale with the piece size lowered to 4 KiB
// (real worker processes, every message measured); the 2.19 GB run itself is `npm run bench --
// large-checkpoint` (it needs ~12 GB free and a few minutes).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Mesh } from '../../../src/core/dtensor/mesh';
import { cpuDevices } from '../../../src/engine/coordinator/devices';
import { MeshSession } from '../../../src/engine/coordinator/mesh-session';
import { NodeProcessHost } from '../../../src/engine/coordinator/node-process-host';
import type { ProcessHost } from '../../../src/engine/coordinator/process-host';
import { planPieces } from '../../../src/engine/coordinator/shard-transfer';
import type { ShardRecord } from '../../../src/shared/worker-protocol';
import { testSeed } from '../../helpers/seed';
import { TWO_BUCKET_MLP } from '../../helpers/train-run';
import { WORKER_ENTRY, assemble } from './helpers';
import { shardsForDevice, toCheckpointTensors } from '../../../src/engine/coordinator/checkpoint-shards';

/** Bytes of typed-array values anywhere in a message (what structured clone copies as binary). */
function binaryBytes(value: unknown, seen = new Set<unknown>()): number {
  if (ArrayBuffer.isView(value)) return value.byteLength;
  if (typeof value !== 'object' || value === null || seen.has(value)) return 0;
  seen.add(value);
  return Object.values(value).reduce<number>((n, v) => n + binaryBytes(v, seen), 0);
}

/** The Node host, with the binary bytes of every message in either direction recorded. */
function measuringHost(sizes: number[]): ProcessHost {
  const node = new NodeProcessHost();
  return {
    kind: 'node',
    fork(entry, options) {
      const handle = node.fork(entry, options);
      return {
        ...handle,
        pid: handle.pid,
        channel: {
          send: (m) => (sizes.push(binaryBytes(m)), handle.channel.send(m)),
          on: (listener) => handle.channel.on((m) => (sizes.push(binaryBytes(m)), listener(m))),
        },
      };
    },
  };
}

test('planPieces: every element once, in order, and no call above the chunk (or one element)', () => {
  const seed = testSeed('plan-pieces');
  let s = seed;
  const next = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
  for (let round = 0; round < 50; round++) {
    const shards = Array.from({ length: 1 + Math.floor(next() * 8) }, () => ({
      array: next() < 0.3 ? ('float64' as const) : ('float32' as const),
      length: Math.floor(next() * 3000),
    }));
    const chunk = 4 + Math.floor(next() * 5000);
    const calls = planPieces(shards, chunk);
    const covered = shards.map(() => 0);
    for (const call of calls) {
      const bytes = call.reduce((n, p) => n + p.count * (shards[p.shard]!.array === 'float64' ? 8 : 4), 0);
      assert.ok(
        bytes <= chunk || (call.length === 1 && call[0]!.count === 1),
        `seed ${seed}: a call of ${bytes} bytes > ${chunk}`,
      );
      for (const p of call) {
        assert.equal(p.offset, covered[p.shard], `seed ${seed}: shard ${p.shard} continues where it stopped`);
        covered[p.shard] += p.count;
      }
    }
    assert.deepEqual(
      covered,
      shards.map((h) => h.length),
      `seed ${seed}: every element moved once`,
    );
  }
});

test('shards go to the workers and back in pieces no larger than the chunk, bit for bit', { timeout: 180_000 }, async () => {
  const chunk = 4096;
  const sizes: number[] = [];
  const mesh = Mesh.parse('batch=2');
  const session = await MeshSession.start(
    { host: measuringHost(sizes), workerEntry: WORKER_ENTRY, mesh, devices: cpuDevices(2), transferChunkBytes: chunk },
    TWO_BUCKET_MLP,
  );
  try {
    // Values of the test's own making (not the code's): record i, element j holds sin(i·1000 + j) as its dtype.
    const before = await session.exportShards();
    const filled = before.map((r, i) => ({ ...r, data: fill(r, i) }));
    const tensors = toCheckpointTensors(filled, mesh.toString());
    const layouts = await session.variableLayouts();
    sizes.length = 0;
    await session.importShards((deviceId) => shardsForDevice(tensors, layouts, mesh, deviceId), 7);
    const after = await session.exportShards();
    const [want, got] = [assemble(filled), assemble(after)];
    assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort());
    for (const [path, values] of want) assert.deepEqual(got.get(path), values, `${path} came back bit for bit`);
    assert.equal(got.get('optimizer/iteration')?.[0], 7, 'the step counter');
    const state = after.reduce((n, r) => n + r.data.byteLength, 0);
    assert.ok(state > 100 * chunk, `the state (${state} bytes) is many chunks`);
    const largest = Math.max(...sizes);
    assert.ok(largest <= chunk, `the largest message carried ${largest} bytes of values, more than the ${chunk}-byte chunk`);
    assert.ok(sizes.filter((n) => n > 0).length >= (2 * state) / chunk, 'the state crossed in many messages, both ways');
  } finally {
    await session.close();
  }
});

function fill(r: ShardRecord, i: number): Float32Array | Float64Array {
  const out = r.data instanceof Float64Array ? new Float64Array(r.data.length) : new Float32Array(r.data.length);
  for (let j = 0; j < out.length; j++) out[j] = r.path === 'optimizer/iteration' ? 7 : Math.sin(i * 1000 + j);
  return out;
}
