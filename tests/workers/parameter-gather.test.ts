// The parameter all-gather (parameter-gather.ts) on 3 devices over a real ring (in-memory links):
// an owner group's variables split into byte-capped buckets in forward order, every device rebuilds
// every sharded variable's full value from the owners' shards (checked against the whole values the
// shards were cut from, with the test's own slicing loops), replicated variables are left alone, and
// a variable's bucket reports ready only once unpacked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Mesh } from '../../src/core/dtensor/mesh';
import { Layout } from '../../src/core/dtensor/layout';
import { planExchange } from '../../src/core/collectives/exchange-plan';
import { RingCollectives } from '../../src/core/collectives/ring';
import { ParameterGather } from '../../src/workers/parameter-gather';
import { memoryLinks } from '../helpers/memory-links';
import { seededRandom, testSeed } from '../helpers/seed';

const mesh = Mesh.parse('batch=3');
const DEVICES = [...mesh.deviceIds];
const VARS: [string, number[], string[]][] = [
  ['a.kernel', [7, 5], ['batch', 'unsharded']],
  ['a.bias', [5], ['unsharded']], // replicated: nothing to gather
  ['b.kernel', [4, 6], ['unsharded', 'batch']], // column shards: strided in the full value
  ['b.bias', [6], ['batch']],
];

/** Device d's shard of a [rows, cols] (or [n]) value, cut with this test's own loops. */
function cut(full: Float32Array, shape: number[], specs: string[], d: number): Float32Array {
  const [rows, cols] = shape.length === 2 ? shape : [shape[0]!, 1];
  const span = (n: number, sharded: boolean) => {
    if (!sharded) return [0, n];
    const base = Math.floor(n / 3),
      extra = n % 3; // larger shards first
    const start = d * base + Math.min(d, extra);
    return [start, base + (d < extra ? 1 : 0)];
  };
  const [r0, rn] = span(rows!, specs[0] === 'batch');
  const [c0, cn] = span(cols!, shape.length === 2 && specs[1] === 'batch');
  const out: number[] = [];
  for (let i = r0!; i < r0! + rn!; i++) for (let j = c0!; j < c0! + cn!; j++) out.push(full[i * cols! + j]!);
  return Float32Array.from(out);
}

test('every device rebuilds every sharded value, bucket by bucket in forward order', async () => {
  const seed = testSeed('parameter-gather');
  const rand = seededRandom(seed);
  const wholes = VARS.map(([, shape]) => Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rand() - 0.5));
  const rings = memoryLinks(DEVICES).map((l) => new RingCollectives(l, { pieceBytes: 20 }));
  const results = await Promise.all(
    DEVICES.map(async (d, r) => {
      const plans = VARS.map(([path, shape, specs]) => planExchange(path, shape, new Layout(specs, mesh), d));
      const gather = new ParameterGather(plans, 100); // a.kernel (140 B) alone, then b.kernel and b.bias
      assert.equal(gather.bucketCount, 2);
      const fulls = plans.map((p) => (p.replicated ? null : new Float32Array(wholes[plans.indexOf(p)]!.length).fill(NaN)));
      gather.start((k) => cut(wholes[k]!, VARS[k]![1], VARS[k]![2], d), rings[r]!);
      assert.deepEqual(
        VARS.map((_, k) => gather.ready(k)),
        [false, true, false, false],
      );
      await gather.finish((k) => fulls[k] ?? null);
      assert.deepEqual(
        VARS.map((_, k) => gather.ready(k)),
        [true, true, true, true],
      );
      return fulls;
    }),
  );
  results.forEach((fulls, r) =>
    VARS.forEach(([path], k) => {
      if (k === 1) return assert.equal(fulls[k], null);
      assert.deepEqual([...fulls[k]!], [...wholes[k]!], `device ${r} ${path}`);
    }),
  );
});
