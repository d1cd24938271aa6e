// joinRing: the communication thread by default, the old in-thread ring with the run's commThread off;
// both give the same sums, and close() releases every thread, port and socket.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { makeSocketDir } from '../../../src/workers/transport/socket-links';
import { commThreadOn, joinRing } from '../../../src/workers/transport/join-ring';
import { ThreadedCollectives } from '../../../src/workers/transport/threaded-collectives';
import { RingCollectives } from '../../../src/core/collectives/ring';
import { waitUntil } from '../../helpers/process';

const kinds = ['MessagePort', 'PipeWrap', 'PipeServerWrap'];
const resources = () => process.getActiveResourcesInfo().filter((r) => kinds.includes(r)).length;

for (const [commThread, Kind] of [
  [undefined, ThreadedCollectives],
  ['on', ThreadedCollectives],
  ['off', RingCollectives],
] as const) {
  test(`joinRing with commThread ${commThread ?? '(not given)'} uses ${Kind.name}`, { timeout: 30_000 }, async () => {
    const before = resources();
    const dir = await makeSocketDir('dtj-');
    try {
      const rings = await Promise.all([0, 1].map((deviceId) => joinRing({ dir, deviceId, deviceIds: [0, 1], commThread })));
      for (const r of rings) assert.ok(r.collectives instanceof Kind);
      // Device d holds d + 0.5 + i: the sum 2i + 2 is exact in float32.
      const data = [0, 1].map((d) => Float32Array.from({ length: 1000 }, (_, i) => d + 0.5 + i));
      await Promise.all(rings.map((r, d) => r.collectives.allReduceSum(data[d]!)));
      for (const a of data) for (let i = 0; i < 1000; i += 7) assert.equal(a[i], 2 * i + 2);
      await Promise.all(rings.map((r) => r.close()));
      // A destroyed socket's handle is released on a later turn of the event loop, later still on a
      // loaded machine: what must hold is that everything goes, not on which turn.
      await waitUntil(() => resources() === before, 5_000);
      assert.equal(resources(), before, 'nothing left open after close()');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
}

// The default choice: the thread only where a core is free for it (the ring's copies and adds are CPU
// work that would otherwise take a core from a model step); the setting overrides it either way.
test('commThreadOn: on with a core to spare or the model step off the CPU, off when every core runs a step', () => {
  const ctx = (workers: number, backend: string, cores: number) => ({ workers, backend, cores });
  assert.equal(commThreadOn('auto', ctx(2, 'wasm', 2)), false, '2 workers on 2 cores');
  assert.equal(commThreadOn('auto', ctx(3, 'cpu', 4)), false, '3 workers on 4 cores');
  assert.equal(commThreadOn('auto', ctx(2, 'wasm', 4)), true, '2 workers on 4 cores');
  assert.equal(commThreadOn('auto', ctx(4, 'tensorflow', 2)), true, 'GPU workers');
  assert.equal(commThreadOn('auto', ctx(1, 'wasm', 64)), false, 'one worker: nothing to exchange');
  assert.equal(commThreadOn('auto', ctx(1, 'tensorflow', 2)), false, 'one GPU worker');
  assert.equal(commThreadOn('on', ctx(1, 'wasm', 2)), true, 'one worker, forced on');
  assert.equal(commThreadOn('auto', ctx(2, 'wasm', 2)), false);
  assert.equal(commThreadOn('on', ctx(2, 'wasm', 2)), true, 'forced on');
  assert.equal(commThreadOn('off', ctx(4, 'tensorflow', 64)), false, 'forced off');
});
