// joinRing: the communication thread by default, the old in-thread ring with DTRAIN_COMM_THREAD=0;
// both give the same sums, and close() releases every thread, port and socket.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { makeSocketDir } from '../../../src/workers/transport/socket-links';
import { joinRing } from '../../../src/workers/transport/join-ring';
import { ThreadedCollectives } from '../../../src/workers/transport/threaded-collectives';
import { RingCollectives } from '../../../src/core/collectives/ring';

const kinds = ['MessagePort', 'PipeWrap', 'PipeServerWrap'];
const resources = () => process.getActiveResourcesInfo().filter((r) => kinds.includes(r)).length;

for (const [env, Kind] of [[{}, ThreadedCollectives], [{ DTRAIN_COMM_THREAD: '1' }, ThreadedCollectives], [{ DTRAIN_COMM_THREAD: '0' }, RingCollectives]] as const) {
  test(`joinRing with ${JSON.stringify(env)} uses ${Kind.name}`, { timeout: 30_000 }, async () => {
    const before = resources();
    const dir = await makeSocketDir('dtj-');
    try {
      const rings = await Promise.all([0, 1].map((deviceId) => joinRing({ dir, deviceId, deviceIds: [0, 1], env })));
      for (const r of rings) assert.ok(r.collectives instanceof Kind);
      // Device d holds d + 0.5 + i: the sum 2i + 2 is exact in float32.
      const data = [0, 1].map((d) => Float32Array.from({ length: 1000 }, (_, i) => d + 0.5 + i));
      await Promise.all(rings.map((r, d) => r.collectives.allReduceSum(data[d]!)));
      for (const a of data) for (let i = 0; i < 1000; i += 7) assert.equal(a[i], 2 * i + 2);
      await Promise.all(rings.map((r) => r.close()));
      assert.equal(resources(), before, 'nothing left open after close()');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
}
