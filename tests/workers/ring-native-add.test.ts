// The ring collectives with the native add give the same bits as with the JS loop, over real Unix
// sockets (N = 2 and 3 devices in this process), and each element is the sum in the ring's fixed order,
// recomputed here independently: chunk k is summed as x[k] + (… + (x[k+2] + x[k+1])), in float32.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { SocketLinks, makeSocketDir } from '../../src/workers/transport/socket-links';
import { RingCollectives } from '../../src/core/collectives/ring';
import { balancedSizes, offsetsOf } from '../../src/core/collectives/chunking';
import { loadNativeBlas } from '../../src/workers/native-blas';
import { seededRandom, testSeed } from '../helpers/seed';

const add = loadNativeBlas().add;
const skip = add ? false : 'native add unavailable (fix: node scripts/build-native.mjs)';
if (skip) process.stdout.write(`${skip}\n`);

/** Ordinary values with ±0, ±Inf, subnormals and NaNs of varied payloads mixed in. */
function inputs(n: number, rand: () => number): Float32Array {
  const a = new Float32Array(n);
  const u = new Uint32Array(a.buffer);
  for (let i = 0; i < n; i++) {
    const r = rand();
    if (r < 0.01) u[i] = (0x7fc00000 | (i + 1)) >>> 0;
    else if (r < 0.02) u[i] = rand() < 0.5 ? 0x7f800000 : 0xff800000;
    else if (r < 0.03)
      u[i] = (i % 0x7fffff) + 1; // subnormal
    else if (r < 0.04)
      u[i] = 0x80000000; // -0
    else a[i] = (rand() - 0.5) * 2 ** Math.floor(rand() * 40 - 20);
  }
  return a;
}

/** float32 ring order for chunk k of N: start at member k+1, add members k+2, …, and finally k. */
function ringSum(xs: Float32Array[], i: number, k: number): number {
  const n = xs.length;
  let acc = xs[(k + 1) % n]![i]!;
  for (let step = 2; step <= n; step++) acc = Math.fround(xs[(k + step) % n]![i]! + acc);
  return acc;
}

async function allReduceOn(n: number, data: Float32Array[], withAdd: boolean): Promise<Float32Array[]> {
  const dir = await makeSocketDir('dtr-');
  const ids = Array.from({ length: n }, (_, i) => i);
  const links = await Promise.all(ids.map((deviceId) => SocketLinks.connect({ dir, deviceId, deviceIds: ids })));
  try {
    // Small pieces and a short window: many pieces, ragged ends, scratch reuse.
    const rings = links.map(
      (l) => new RingCollectives(l, { pieceBytes: 4 * 1000 + 4, window: 3, add: withAdd ? add! : undefined }),
    );
    const out = data.map((d) => d.slice());
    await Promise.all(rings.map((r, i) => r.allReduceSum(out[i]!)));
    // Reduce-scatter of uneven chunks through the same add, then the gathered pieces back into one array.
    const sizes = ids.map((i) => Math.floor(data[0]!.length / n) + (i === 0 ? data[0]!.length % n : 0));
    const scattered = await Promise.all(rings.map((r, i) => r.reduceScatterSum(data[i]!, sizes)));
    const gathered = await Promise.all(rings.map((r, i) => r.allGather(scattered[i]!, sizes)));
    rings.forEach((r) => r.dispose());
    return [...out, ...(gathered as Float32Array[])];
  } finally {
    await Promise.all(links.map((l) => l.close()));
    await rm(dir, { recursive: true, force: true });
  }
}

const bits = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

for (const n of [2, 3]) {
  test(
    `ring over sockets, N=${n}: the native add gives the JS loop's bits, and the ring-order sums`,
    { skip, timeout: 60_000 },
    async () => {
      const rand = seededRandom(testSeed(`ring native add N=${n}`));
      for (const len of [1, 1001, 12_347]) {
        const data = Array.from({ length: n }, () => inputs(len, rand));
        const viaJs = await allReduceOn(n, data, false);
        const viaNative = await allReduceOn(n, data, true);
        for (let j = 0; j < viaJs.length; j++)
          assert.ok(bits(viaNative[j]!).equals(bits(viaJs[j]!)), `len ${len}, result ${j}: native and JS rings differ`);
        // The all-reduce results (first n) against the independent float32 ring-order sum.
        const offs = offsetsOf(balancedSizes(len, n));
        for (let k = 0; k < n; k++) {
          for (let i = offs[k]!; i < offs[k + 1]!; i++) {
            const want = ringSum(data, i, k);
            for (let m = 0; m < n; m++) {
              const got = viaNative[m]![i]!;
              if (Number.isNaN(want)) assert.ok(Number.isNaN(got), `len ${len} [${i}] on ${m}: ${got}, want NaN`);
              else assert.ok(Object.is(got, want), `len ${len} [${i}] on ${m}: ${got}, want ${want}`);
            }
          }
        }
      }
    },
  );
}
