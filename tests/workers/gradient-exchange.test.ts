// The exchange's packing planned as runs of the full gradient: on a 2×2 mesh with row-, column-sharded
// and replicated variables, each device's reduce result equals its piece of the global gradient sum,
// whether a gradient was packed by the download sink or by reduce() (integer-valued gradients, so
// every summation order gives the same exact sums).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Mesh } from '../../src/core/dtensor/mesh';
import { Layout } from '../../src/core/dtensor/layout';
import { shardSlices, replicaGroup } from '../../src/core/dtensor/shard';
import { createLocalCollectives } from '../../src/core/collectives/local';
import { planExchange } from '../../src/core/collectives/exchange-plan';
import { ExchangeBuckets } from '../../src/workers/gradient-exchange';

const seed = Number(process.env.TEST_SEED ?? 9);
console.log(`gradient-exchange seed ${seed} (set TEST_SEED to repeat)`);

const mesh = Mesh.parse('batch=2,model=2');
const VARS: [string, number[], string[]][] = [
  ['rows', [5, 3], ['model', 'unsharded']],
  ['cols', [4, 6], ['unsharded', 'model']], // strided: one run per row
  ['both', [4, 2], ['batch', 'model']],
  ['replicated', [7], ['unsharded']],
];

/** Row-major element values of the region `slices` of a [r, c] or [n] array, in my own loops. */
function region(full: Float32Array, shape: number[], slices: { start: number; size: number }[]): number[] {
  if (shape.length === 1) return [...full.subarray(slices[0]!.start, slices[0]!.start + slices[0]!.size)];
  const out: number[] = [];
  for (let i = slices[0]!.start; i < slices[0]!.start + slices[0]!.size; i++) {
    for (let j = slices[1]!.start; j < slices[1]!.start + slices[1]!.size; j++) out.push(full[i * shape[1]! + j]!);
  }
  return out;
}

test('reduce gives each device its piece of the summed shard, sink-packed or not (2x2 mesh)', async () => {
  let state = seed;
  const int = () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) % 200) - 100;
  const devices = [...mesh.deviceIds];
  const grads = devices.map(() => VARS.map(([, shape]) => Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, int)));
  const colls = createLocalCollectives(devices);
  const results = await Promise.all(
    devices.map(async (d, r) => {
      const plans = VARS.map(([path, shape, specs]) => planExchange(path, shape, new Layout(specs, mesh), d));
      const buckets = new ExchangeBuckets(plans, d);
      // Variables 0 and 2 arrive through the sink (as views that are overwritten afterwards).
      const given = grads[r]!.map((g, k) => {
        if (k % 2 === 1) return g;
        const view = g.slice();
        assert.equal(buckets.sink(k, view), null);
        view.fill(NaN);
        return undefined;
      });
      return { plans, out: (await buckets.reduce(given, colls[r]!)).map((s) => [...s]) };
    }),
  );
  devices.forEach((d, r) => {
    VARS.forEach(([, shape, specs], k) => {
      const layout = new Layout(specs, mesh);
      const sum = new Float32Array(shape.reduce((a, b) => a * b, 1));
      for (const g of grads) g[k]!.forEach((x, i) => (sum[i]! += x));
      const shard = region(sum, shape, shardSlices(shape, layout, d));
      // A shard held by R replicas is exchanged as R pieces, then gathered back within the group.
      const replicas = replicaGroup(layout, d);
      assert.deepEqual(results[r]!.out[k], shard, `device ${d} ${VARS[k]![0]} (${replicas.length} replicas)`);
    });
  });
});
