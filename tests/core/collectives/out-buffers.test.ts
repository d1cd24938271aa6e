// The optional `out` buffers of reduceScatterSum and allGather, on both implementations: results land
// in the caller's buffer (reused step after step by the trainer), equal the freshly allocated ones,
// and a buffer of the wrong type or length is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLocalCollectives } from '../../../src/core/collectives/local';
import { RingCollectives } from '../../../src/core/collectives/ring';
import { memoryLinks } from '../../helpers/memory-links';
import type { Collectives } from '../../../src/core/collectives/types';

const IMPLEMENTATIONS: [string, (ids: number[]) => Collectives[]][] = [
  ['local', (ids) => createLocalCollectives(ids)],
  ['ring', (ids) => memoryLinks(ids).map((l) => new RingCollectives(l, { pieceBytes: 16, window: 2 }))],
];

for (const [name, make] of IMPLEMENTATIONS) {
  test(`${name}: reduceScatterSum and allGather write into out buffers, reusable across calls`, async () => {
    const ids = [0, 1, 2];
    const cs = make(ids);
    const sizes = [3, 0, 4];
    const outs = sizes.map((n) => new Float32Array(n));
    for (let round = 1; round <= 2; round++) {
      const inputs = ids.map((id) => Float32Array.from({ length: 7 }, (_, i) => round * (i + 1) + id));
      const got = await Promise.all(cs.map((c, k) => c.reduceScatterSum(inputs[k]!, sizes, undefined, outs[k])));
      got.forEach((g, k) => assert.equal(g, outs[k], 'returns the out buffer'));
      const expected = Array.from({ length: 7 }, (_, i) => inputs.reduce((a, x) => a + x[i]!, 0));
      assert.deepEqual([...outs[0]!, ...outs[2]!], expected);
      const whole = ids.map(() => new Float32Array(7));
      await Promise.all(cs.map((c, k) => c.allGather(outs[k]!, sizes, undefined, whole[k])));
      whole.forEach((w) => assert.deepEqual([...w], expected));
    }
  });

  test(`${name}: an out buffer of the wrong length or type is refused`, async () => {
    const [c] = make([0]);
    await assert.rejects(
      c!.reduceScatterSum(new Float32Array(4), [4], undefined, new Float32Array(3)),
      /out must be a Float32Array of 4 elements/,
    );
    await assert.rejects(
      c!.allGather(new Float32Array(2), [2], undefined, new Float64Array(2)),
      /out must be a Float32Array of 2 elements/,
    );
  });
}
