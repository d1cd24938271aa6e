import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createLocalCollectives } from '../../../src/core/collectives/local';
import type { Collectives, ReduceArray } from '../../../src/core/collectives/types';

/** Resolves to 'pending' when `p` has not settled after the microtask queue drains (a would-be hang). */
async function state(p: Promise<unknown>): Promise<'fulfilled' | 'rejected' | 'pending'> {
  const tick = new Promise<'pending'>((resolve) => setImmediate(() => resolve('pending')));
  return Promise.race([
    p.then(
      () => 'fulfilled' as const,
      () => 'rejected' as const,
    ),
    tick,
  ]);
}

const f32 = (...v: number[]) => Float32Array.from(v);
const f64 = (...v: number[]) => Float64Array.from(v);
const bits = (a: ReduceArray) => [...new Uint8Array(a.buffer, a.byteOffset, a.byteLength)];

describe('createLocalCollectives', () => {
  it('makes one object per device', () => {
    const cs = createLocalCollectives([0, 1, 2]);
    assert.deepEqual(
      cs.map((c) => c.deviceId),
      [0, 1, 2],
    );
    assert.deepEqual(cs[1].deviceIds, [0, 1, 2]);
    assert.throws(() => createLocalCollectives([]), /sorted ascending/);
    assert.throws(() => createLocalCollectives([1, 0]), /sorted ascending/);
    assert.throws(() => createLocalCollectives([0, 0]), /sorted ascending/);
  });
});

describe('local collectives: results', () => {
  it('all-reduces f32 and f64 over every device by default', async () => {
    const cs = createLocalCollectives([0, 1, 2, 3]);
    const a = cs.map((_, d) => f32(d, 10 * d, 0.5));
    await Promise.all(cs.map((c, d) => c.allReduceSum(a[d])));
    for (const x of a) assert.deepEqual([...x], [6, 60, 2]);
    const b = cs.map((_, d) => f64(d / 3));
    await Promise.all(cs.map((c, d) => c.allReduceSum(b[d])));
    const expected = 0 / 3 + 1 / 3 + 2 / 3 + 3 / 3;
    for (const x of b) assert.equal(x[0], expected);
  });

  it('sums in ascending device order with f32 rounding, bit-identical on every member', async () => {
    const cs = createLocalCollectives([0, 1, 2, 3]);
    const inputs = [
      [1e8, 0.1],
      [1, 1e-9],
      [-1e8, 3.3],
      [1, -0.7],
    ];
    const data = inputs.map((v) => Float32Array.from(v));
    const expected = [0, 1].map((i) =>
      inputs.reduce((acc, v, k) => (k === 0 ? Math.fround(v[i]) : Math.fround(acc + Math.fround(v[i]))), 0),
    );
    // Members call in scrambled order; the sum order must not depend on it.
    await Promise.all([3, 1, 0, 2].map((d) => cs[d].allReduceSum(data[d])));
    for (const x of data) {
      assert.deepEqual([...x], expected);
      assert.deepEqual(bits(x), bits(data[0]));
    }
    // f32: 1e8 + 1 rounds back to 1e8, so the sum is 1 (the exact sum is 2).
    assert.equal(data[0][0], 1);
  });

  it('reduce-scatters uneven chunks (including an empty one)', async () => {
    const cs = createLocalCollectives([0, 1, 2, 3]);
    const sizes = [3, 0, 2, 1];
    const out = await Promise.all(
      cs.map((c, d) =>
        c.reduceScatterSum(
          f64(1, 2, 3, 4, 5, 6).map((x) => x * (d + 1)),
          sizes,
        ),
      ),
    );
    assert.deepEqual(
      out.map((x) => [...x]),
      [[10, 20, 30], [], [40, 50], [60]],
    );
    assert.ok(out.every((x) => x instanceof Float64Array));
  });

  it('all-gathers chunks of different lengths in group order', async () => {
    const cs = createLocalCollectives([0, 1, 2]);
    const chunks = [f32(1, 2), f32(), f32(3)];
    const out = await Promise.all(cs.map((c, d) => c.allGather(chunks[d], [2, 0, 1])));
    for (const x of out) assert.deepEqual([...x], [1, 2, 3]);
    assert.notEqual(out[0], out[1], 'each member owns its result');
  });

  it('broadcasts the root data', async () => {
    const cs = createLocalCollectives([0, 1, 2]);
    const data = [f32(0, 0), f32(0, 0), f32(7, 8)];
    await Promise.all(cs.map((c, d) => c.broadcast(data[d], 2)));
    for (const x of data) assert.deepEqual([...x], [7, 8]);
  });

  it('runs subgroups of a 2x2 mesh side by side without interference', async () => {
    const cs = createLocalCollectives([0, 1, 2, 3]); // device = 2·batch + model
    const rows = (d: number) => (d < 2 ? [0, 1] : [2, 3]);
    const cols = (d: number) => (d % 2 === 0 ? [0, 2] : [1, 3]);
    // Row and column groups issued back to back (on separate buffers) without awaiting in between.
    const r = cs.map((_, d) => f32(d + 1));
    const k = cs.map((_, d) => f64(10 * (d + 1)));
    await Promise.all(cs.flatMap((c, d) => [c.allReduceSum(r[d], rows(d)), c.allReduceSum(k[d], cols(d))]));
    assert.deepEqual(
      r.map((x) => x[0]),
      [3, 3, 7, 7],
    );
    assert.deepEqual(
      k.map((x) => x[0]),
      [40, 60, 40, 60],
    );
    const gathered = await Promise.all(cs.map((c, d) => c.allGather(f64(d), [1, 1], cols(d))));
    assert.deepEqual(
      gathered.map((x) => [...x]),
      [
        [0, 2],
        [1, 3],
        [0, 2],
        [1, 3],
      ],
    );
  });

  it('queues operations when a member runs ahead', async () => {
    const [c0, c1] = createLocalCollectives([0, 1]);
    const a = [f32(1), f32(2), f32(3)];
    const b = [f32(10), f32(20), f32(30)];
    const ahead = a.map((x) => c0.allReduceSum(x)); // device 0 issues all three first
    assert.equal(await state(ahead[0]), 'pending');
    const behind = b.map((x) => c1.allReduceSum(x));
    await Promise.all([...ahead, ...behind]);
    assert.deepEqual(
      a.map((x) => x[0]),
      [11, 22, 33],
    );
    assert.deepEqual(
      b.map((x) => x[0]),
      [11, 22, 33],
    );
    const s = await Promise.all([c0.reduceScatterSum(f32(1, 2), [1, 1]), c1.reduceScatterSum(f32(3, 4), [1, 1])]);
    assert.deepEqual(
      s.map((x) => x[0]),
      [4, 6],
    );
  });

  it('completes a one-member group at once', async () => {
    const [c0] = createLocalCollectives([0, 1]);
    const x = f32(5);
    await c0.allReduceSum(x, [0]);
    assert.equal(x[0], 5);
    assert.deepEqual([...(await c0.allGather(f32(1, 2), [2], [0]))], [1, 2]);
  });
});

describe('local collectives: errors reject every member', () => {
  async function expectAllReject(calls: Promise<unknown>[], pattern: RegExp) {
    const results = await Promise.allSettled(calls);
    for (const r of results) {
      assert.equal(r.status, 'rejected');
      assert.match((r as PromiseRejectedResult).reason.message, pattern);
    }
  }

  it('on mismatched lengths, dtypes, ops, chunkSizes and roots, and the group stays usable', async () => {
    const [c0, c1] = createLocalCollectives([0, 1]);
    await expectAllReject(
      [c0.allReduceSum(f32(1, 2)), c1.allReduceSum(f32(1))],
      /members disagree: device 0 called allReduceSum\(2 float32\), device 1 called allReduceSum\(1 float32\)/,
    );
    await expectAllReject([c0.allReduceSum(f32(1)), c1.allReduceSum(f64(1))], /1 float32.*1 float64/);
    await expectAllReject([c0.allReduceSum(f32(1)), c1.broadcast(f32(1), 0)], /allReduceSum.*broadcast/);
    await expectAllReject([c0.allGather(f32(1), [1, 1]), c1.allGather(f32(1, 2), [1, 2])], /chunkSizes \[1,1\].*\[1,2\]/);
    await expectAllReject([c0.broadcast(f32(1), 0), c1.broadcast(f32(1), 1)], /root 0.*root 1/);
    const x = [f32(1), f32(2)];
    await Promise.all([c0.allReduceSum(x[0]), c1.allReduceSum(x[1])]);
    assert.deepEqual([x[0][0], x[1][0]], [3, 3]);
  });

  it('on bad arguments from one member', async () => {
    const [c0, c1] = createLocalCollectives([0, 1]);
    await expectAllReject(
      [c0.reduceScatterSum(f32(1, 2, 3), [1, 1]), c1.reduceScatterSum(f32(1, 2), [1, 1])],
      /device 0\): data has 3 elements, but chunkSizes \[1,1\] call for 2/,
    );
    await expectAllReject([c0.allGather(f32(1), [1]), c1.allGather(f32(1), [1])], /chunkSizes must hold 2/);
    await expectAllReject([c0.broadcast(f32(1), 5), c1.broadcast(f32(1), 5)], /root device 5 is not in the group/);
    await expectAllReject(
      [c0.allReduceSum([1] as unknown as Float32Array), c1.allReduceSum(f32(1))],
      /Float32Array or a Float64Array/,
    );
  });

  it('on a malformed group, without leaving the peers hanging', async () => {
    const [c0, c1, c2] = createLocalCollectives([0, 1, 2]);
    const waiting = c0.allReduceSum(f32(1), [0, 1]);
    await expectAllReject([c1.allReduceSum(f32(1), [1, 0])], /group \[1,0\] \(device 1\): the group must be sorted/);
    await expectAllReject([waiting], /must be sorted/);
    await expectAllReject([c0.allReduceSum(f32(1), [0, 1])], /device 1 is out of step after an earlier collective error/);
    // Devices 0 and 2 do not involve device 1, and still work together.
    const x = [f32(1), f32(2)];
    await Promise.all([c0.allReduceSum(x[0], [0, 2]), c2.allReduceSum(x[1], [0, 2])]);
    assert.equal(x[0][0], 3);
    await expectAllReject([c2.allReduceSum(f32(1), [2, 7])], /device 7 is not one of \[0,1,2\]/);
    await expectAllReject([c0.allReduceSum(f32(1), [1])], /device 0 is not in the group/);
  });

  it('when two devices call shared groups in a different order', async () => {
    const [c0, c1, c2, c3] = createLocalCollectives([0, 1, 2, 3]);
    const first = c0.allReduceSum(f32(1), [0, 1]);
    const second = c1.allReduceSum(f32(1), [0, 1, 2]);
    const third = c2.allReduceSum(f32(1), [0, 1, 2]);
    await expectAllReject([first, second, third], /device 0 called allReduceSum on group \[0,1\] at this point/);
    await expectAllReject([c2.allReduceSum(f32(1), [1, 2])], /out of step/);
    assert.equal(await state(c1.allReduceSum(f32(1), [1, 3])), 'rejected');
    const x = [f32(2), f32(3)];
    await Promise.all([c2.allReduceSum(x[0], [2, 3]), c3.allReduceSum(x[1], [2, 3])]);
    assert.deepEqual([x[0][0], x[1][0]], [5, 5]);
  });

  it('never hangs the members that already arrived', async () => {
    const cs: Collectives[] = createLocalCollectives([0, 1, 2]);
    const early = [cs[0].allReduceSum(f32(1, 2)), cs[1].allReduceSum(f32(1, 2))];
    assert.equal(await state(early[0]), 'pending');
    const late = cs[2].allReduceSum(f32(1));
    await expectAllReject([...early, late], /members disagree/);
  });
});
