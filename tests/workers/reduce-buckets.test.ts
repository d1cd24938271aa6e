// Reduce buckets started from the gradient hooks (gradient-exchange.ts): on 3 devices over a real ring
// (in-memory links), gradients handed to sink() in reverse variable order, as backward's hooks hand
// them over, start each bucket's reduce-scatter before reduce() is called; the results are bit for bit
// those of one bucket reduced after backward, and both equal an independent float32 reference summed
// in the ring's order (the owner's two successors first, the owner last). Random float gradients with
// mixed magnitudes, so a different summation order would show.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Mesh } from '../../src/core/dtensor/mesh';
import { Layout } from '../../src/core/dtensor/layout';
import { planExchange, type ExchangePlan } from '../../src/core/collectives/exchange-plan';
import { RingCollectives } from '../../src/core/collectives/ring';
import type { Collectives } from '../../src/core/collectives/types';
import { ExchangeBuckets } from '../../src/workers/gradient-exchange';
import { memoryLinks } from '../helpers/memory-links';
import { seededRandom, testSeed } from '../helpers/seed';

const mesh = Mesh.parse('batch=3');
const DEVICES = [...mesh.deviceIds];
// Forward order; backward completes them last first. Sizes straddle the small bucket cap used below.
const VARS: [string, number[], string[]][] = [
  ['dense.kernel', [7, 5], ['batch', 'unsharded']],
  ['dense.bias', [5], ['unsharded']], // replicated: reduced as 3 pieces, then gathered in the group
  ['dense_1.kernel', [5, 4], ['batch', 'unsharded']],
  ['dense_1.bias', [4], ['batch']],
  ['dense_2.kernel', [4, 3], ['unsharded', 'unsharded']],
];
const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** Counts the reduce-scatters a device has started. */
function counting(c: Collectives): Collectives & { started: number } {
  const wrapped = Object.create(c) as Collectives & { started: number };
  wrapped.started = 0;
  wrapped.reduceScatterSum = (...args) => (wrapped.started++, c.reduceScatterSum(...args));
  return wrapped;
}

async function run(
  grads: Float32Array[][],
  bucketBytes: number,
  viaHooks: boolean,
): Promise<{ shards: number[][][]; startedEarly: number[] }> {
  const rings = memoryLinks(DEVICES).map((l) => counting(new RingCollectives(l, { pieceBytes: 12, window: 2 })));
  const startedEarly: number[] = [];
  const shards = await Promise.all(
    DEVICES.map(async (d, r) => {
      const plans: ExchangePlan[] = VARS.map(([path, shape, specs]) => planExchange(path, shape, new Layout(specs, mesh), d));
      const buckets = new ExchangeBuckets(plans, d, viaHooks ? { collectives: rings[r], bucketBytes } : { bucketBytes });
      if (viaHooks) for (let k = VARS.length - 1; k >= 0; k--) assert.equal(buckets.sink(k, grads[r]![k]!.slice()), null);
      startedEarly.push(rings[r]!.started);
      const out = await buckets.reduce(viaHooks ? VARS.map(() => undefined) : grads[r]!, rings[r]!);
      return out.map((s) => [...s]);
    }),
  );
  return { shards, startedEarly };
}

test('buckets started during backward give the bits of one bucket after backward, in the ring order', async () => {
  const seed = testSeed('reduce-buckets');
  const rand = seededRandom(seed);
  const value = () => (rand() - 0.5) * 10 ** Math.floor(rand() * 7 - 3);
  const grads = DEVICES.map(() => VARS.map(([, shape]) => Float32Array.from({ length: size(shape) }, value)));

  const one = await run(grads, Infinity, false);
  const hooked = await run(grads, 48, true);
  assert.deepEqual(one.startedEarly, [0, 0, 0]);
  assert.ok(
    hooked.startedEarly.every((n) => n >= 3),
    `several buckets started before reduce(): ${hooked.startedEarly}`,
  );
  assert.deepEqual(hooked.shards, one.shards);

  // Reference: element e of variable k lies in piece m of its shard (device m's part); the ring sums
  // it as (g[m+1] + g[m+2]) + g[m], rounded to float32 at each add.
  DEVICES.forEach((d, r) => {
    VARS.forEach(([path, shape, specs], k) => {
      const plan = planExchange(path, shape, new Layout(specs, mesh), d);
      const slices = plan.slicesOf.get(d)!;
      const cols = shape.length === 2 ? shape[1]! : 1;
      const rowStart = slices[0]!.start,
        rowCount = slices[0]!.size;
      const colStart = shape.length === 2 ? slices[1]!.start : 0,
        colCount = shape.length === 2 ? slices[1]!.size : 1;
      const expected: number[] = [];
      for (let i = 0; i < rowCount * colCount; i++) {
        const flat = (rowStart + Math.floor(i / colCount)) * cols + colStart + (i % colCount);
        // The piece of the shard that holds local element i: the replica (in `devices` order) that reduces it.
        const m = DEVICES.findIndex((dev) => {
          const p = plan.pieces[DEVICES.indexOf(dev)]!;
          return plan.replicas.includes(dev) && i >= p.start && i < p.start + p.size;
        });
        const g = (j: number) => grads[(m + j) % 3]![k]![flat]!;
        expected.push(Math.fround(Math.fround(g(1) + g(2)) + g(0)));
      }
      assert.deepEqual(hooked.shards[r]![k], expected, `device ${d} ${path}`);
    });
  });
});
