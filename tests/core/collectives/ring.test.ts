import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RingCollectives } from '../../../src/core/collectives/ring';
import { bytesOf, type PeerLinks, type WireArray } from '../../../src/core/collectives/links';
import type { ReduceArray } from '../../../src/core/collectives/types';

// ---- An in-memory PeerLinks mesh: one message queue per ordered pair, rendezvous semantics (a send
// resolves only when the matching receive copied it, so no hidden buffering can mask a deadlock or an
// early buffer reuse), matched after a random delay (microtask or macrotask) to vary interleavings.

interface Pending {
  bytes: Uint8Array;
  resolve: () => void;
  reject: (e: Error) => void;
}

class Channel {
  sends: Pending[] = [];
  recvs: Pending[] = [];
  error: Error | undefined;

  fail(error: Error): void {
    this.error ??= error;
    for (const p of [...this.sends.splice(0), ...this.recvs.splice(0)]) p.reject(error);
  }

  match(): void {
    while (!this.error && this.sends.length > 0 && this.recvs.length > 0) {
      const s = this.sends.shift()!;
      const r = this.recvs.shift()!;
      if (s.bytes.byteLength !== r.bytes.byteLength) {
        const e = new Error(`message of ${s.bytes.byteLength} bytes, receive of ${r.bytes.byteLength}`);
        (s.reject(e), r.reject(e), this.fail(e));
        return;
      }
      r.bytes.set(s.bytes);
      (s.resolve(), r.resolve());
    }
  }
}

class MemoryMesh {
  readonly links: MemoryLinks[];
  private readonly channels = new Map<string, Channel>();
  readonly listeners = new Map<number, Set<(peer: number, e: Error) => void>>();
  readonly dead = new Set<number>();
  private seed: number;

  constructor(
    readonly ids: number[],
    seed = 1,
  ) {
    this.seed = seed;
    this.links = ids.map((id) => new MemoryLinks(this, id));
  }

  channel(from: number, to: number): Channel {
    const key = `${from}>${to}`;
    if (!this.channels.has(key)) this.channels.set(key, new Channel());
    return this.channels.get(key)!;
  }

  schedule(fn: () => void): void {
    this.seed = (this.seed * 1103515245 + 12345) >>> 0;
    if (this.seed & 0x10000) queueMicrotask(fn);
    else setImmediate(fn);
  }

  /** Simulates a crashed device: its channels fail and every other device hears about it. */
  kill(id: number): void {
    this.dead.add(id);
    const e = new Error(`lost connection to device ${id}`);
    for (const [key, ch] of this.channels) if (key.split('>').map(Number).includes(id)) ch.fail(e);
    for (const other of this.ids) if (other !== id) for (const l of this.listeners.get(other) ?? []) l(id, e);
  }
}

class MemoryLinks implements PeerLinks {
  readonly deviceIds: readonly number[];
  constructor(
    private readonly mesh: MemoryMesh,
    readonly deviceId: number,
  ) {
    this.deviceIds = mesh.ids;
  }

  send(peer: number, data: WireArray): Promise<void> {
    return this.queue(this.mesh.channel(this.deviceId, peer), 'sends', data);
  }

  recvInto(peer: number, target: WireArray): Promise<void> {
    return this.queue(this.mesh.channel(peer, this.deviceId), 'recvs', target);
  }

  onPeerLost(listener: (peer: number, e: Error) => void): () => void {
    if (!this.mesh.listeners.has(this.deviceId)) this.mesh.listeners.set(this.deviceId, new Set());
    this.mesh.listeners.get(this.deviceId)!.add(listener);
    for (const id of this.mesh.dead) listener(id, new Error(`lost connection to device ${id}`));
    return () => this.mesh.listeners.get(this.deviceId)!.delete(listener);
  }

  async close(): Promise<void> {}

  private queue(ch: Channel, side: 'sends' | 'recvs', data: WireArray): Promise<void> {
    if (ch.error) return Promise.reject(ch.error);
    if (data.byteLength === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      ch[side].push({ bytes: bytesOf(data), resolve, reject });
      this.mesh.schedule(() => ch.match());
    });
  }
}

// ---- helpers

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32 - 0.5;
  };
}

type Ctor = Float32ArrayConstructor | Float64ArrayConstructor;

function randomArray(C: Ctor, n: number, seed: number): ReduceArray {
  const next = rng(seed);
  const a = new C(n);
  for (let i = 0; i < n; i++) a[i] = next() * 8;
  return a;
}

/** Float64 sums of the inputs, and the tolerance each element's float sum may be off by. */
function reference(inputs: ReduceArray[]): { sum: Float64Array; tol: Float64Array } {
  const n = inputs[0].length;
  const sum = new Float64Array(n);
  const tol = new Float64Array(n);
  const eps = inputs[0] instanceof Float32Array ? 2 ** -23 : 2 ** -52;
  for (const x of inputs) for (let i = 0; i < n; i++) ((sum[i] += x[i]), (tol[i] += Math.abs(x[i]) * eps * inputs.length));
  return { sum, tol };
}

function assertClose(actual: ReduceArray, ref: { sum: Float64Array; tol: Float64Array }, offset = 0): void {
  for (let i = 0; i < actual.length; i++) {
    const want = ref.sum[offset + i];
    if (Math.abs(actual[i] - want) > ref.tol[offset + i] + 1e-300) assert.fail(`element ${offset + i}: ${actual[i]} vs ${want}`);
  }
}

function assertSameBits(a: ReduceArray, b: ReduceArray, what: string): void {
  assert.equal(a.constructor, b.constructor, what);
  assert.deepEqual(Buffer.from(bytesOf(a)), Buffer.from(bytesOf(b)), what);
}

function ring(ids: number[], seed = 1, opts = { pieceBytes: 64, window: 3 }): { mesh: MemoryMesh; cs: RingCollectives[] } {
  const mesh = new MemoryMesh(ids, seed);
  return { mesh, cs: mesh.links.map((l) => new RingCollectives(l, opts)) };
}

const SIZES = (n: number) => [...new Set([0, 1, 2, n - 1, n, n + 1, 7, 61, 100, 1001])];
const TYPES: Ctor[] = [Float32Array, Float64Array];
const T = { timeout: 60_000 };

// ---- tests

test('allReduceSum: N=1..5, odd and tiny sizes, f32/f64: matches the float64 sum, bit-identical on all', T, async () => {
  for (let n = 1; n <= 5; n++)
    for (const C of TYPES)
      for (const size of SIZES(n)) {
        const { cs } = ring(
          Array.from({ length: n }, (_, i) => i),
          n * 1000 + size,
        );
        const inputs = cs.map((_, i) => randomArray(C, size, 7 * i + size));
        const ref = reference(inputs);
        const data = inputs.map((x) => x.slice());
        await Promise.all(cs.map((c, i) => c.allReduceSum(data[i])));
        for (let i = 0; i < n; i++) {
          assertClose(data[i], ref);
          assertSameBits(data[i], data[0], `n=${n} size=${size} member ${i}`);
        }
      }
});

test('allReduceSum: result does not depend on interleaving, piece size or window', T, async () => {
  const ids = [0, 1, 2, 3];
  const inputs = ids.map((i) => randomArray(Float32Array, 999, 40 + i));
  const results: ReduceArray[] = [];
  for (const [seed, pieceBytes, window] of [
    [1, 64, 1],
    [2, 40, 8],
    [3, 4096, 2],
    [4, 1 << 20, 4],
  ]) {
    const { cs } = ring(ids, seed, { pieceBytes, window });
    const data = inputs.map((x) => x.slice());
    await Promise.all(cs.map((c, i) => c.allReduceSum(data[i])));
    results.push(data[0]);
  }
  for (const r of results) assertSameBits(r, results[0], 'same bits for every schedule');
});

test('reduceScatterSum: arbitrary chunk sizes (zeros too), input untouched, same bits as allReduce', T, async () => {
  for (let n = 1; n <= 5; n++)
    for (const C of TYPES)
      for (const size of SIZES(n)) {
        const next = rng(size + n);
        const cuts = Array.from({ length: n - 1 }, () => Math.floor((next() + 0.5) * (size + 1))).sort((a, b) => a - b);
        const sizes = [...cuts, size].map((c, i) => c - (i === 0 ? 0 : cuts[i - 1]));
        const { cs } = ring(
          Array.from({ length: n }, (_, i) => i),
          size,
          { pieceBytes: 24, window: 5 },
        );
        const inputs = cs.map((_, i) => randomArray(C, size, 3 * i + size));
        const copies = inputs.map((x) => x.slice());
        const ref = reference(inputs);
        const out = await Promise.all(cs.map((c, i) => c.reduceScatterSum(inputs[i], sizes)));
        let offset = 0;
        for (let i = 0; i < n; i++) {
          assert.equal(out[i].length, sizes[i]);
          assert.equal(out[i].constructor, C);
          assertClose(out[i], ref, offset);
          assertSameBits(inputs[i], copies[i], 'input unchanged');
          offset += sizes[i];
        }
      }
  // Same chunking as allReduce (balanced, larger first): each member's chunk has the same bits.
  const { cs } = ring([0, 1, 2], 9);
  const inputs = [0, 1, 2].map((i) => randomArray(Float32Array, 100, 90 + i));
  const scattered = await Promise.all(cs.map((c, i) => c.reduceScatterSum(inputs[i], [34, 33, 33])));
  const reduced = inputs.map((x) => x.slice());
  await Promise.all(cs.map((c, i) => c.allReduceSum(reduced[i])));
  assertSameBits(Float32Array.from(scattered.flatMap((x) => [...x])), reduced[0], 'reduceScatter = allReduce chunks');
});

test('allGather: per-member sizes (zeros too), f32/f64, N=1..5', T, async () => {
  for (let n = 1; n <= 5; n++)
    for (const C of TYPES) {
      const sizes = Array.from({ length: n }, (_, i) => [3, 0, 70, 1, 17][i]);
      const { cs } = ring(
        Array.from({ length: n }, (_, i) => i),
        n,
      );
      const chunks = sizes.map((s, i) => randomArray(C, s, 11 * i));
      const want = new C(sizes.reduce((a, b) => a + b, 0));
      chunks.reduce((off, ch) => (want.set(ch, off), off + ch.length), 0);
      const out = await Promise.all(cs.map((c, i) => c.allGather(chunks[i], sizes)));
      for (const o of out) assertSameBits(o, want, `allGather n=${n}`);
    }
});

test('broadcast: from every root, N=1..5, sizes smaller and larger than a piece', T, async () => {
  for (let n = 1; n <= 5; n++)
    for (const size of [0, 1, 5, 300])
      for (let root = 0; root < n; root++) {
        const { cs } = ring(
          Array.from({ length: n }, (_, i) => i),
          root + size,
        );
        const data = cs.map((_, i) => randomArray(Float64Array, size, 100 * i + root));
        const want = data[root].slice();
        await Promise.all(cs.map((c, i) => c.broadcast(data[i], root)));
        for (const d of data) assertSameBits(d, want, `broadcast n=${n} root=${root}`);
      }
});

test('subgroups: disjoint groups run concurrently; non-members take no part', T, async () => {
  const { cs } = ring([0, 1, 2, 3, 4], 5);
  const x = cs.map((_, i) => randomArray(Float32Array, 257, i));
  const data = x.map((a) => a.slice());
  const groups = [
    [0, 2],
    [1, 3, 4],
  ];
  await Promise.all(
    cs.map((c, i) =>
      c.allReduceSum(
        data[i],
        groups.find((g) => g.includes(i))!,
      ),
    ),
  );
  for (const g of groups) {
    const ref = reference(g.map((i) => x[i]));
    for (const i of g) (assertClose(data[i], ref), assertSameBits(data[i], data[g[0]], `group ${g}`));
  }
  const sub = [1, 3, 4];
  const gathered = await Promise.all(sub.map((i) => cs[i].allGather(new Float32Array([i, i]), [2, 2, 2], sub)));
  for (const g of gathered) assert.deepEqual([...g], [1, 1, 3, 3, 4, 4]);
});

test('operations issued without awaiting run in program order on every member', T, async () => {
  const { cs } = ring([0, 1, 2], 3);
  const a = cs.map((_, i) => new Float64Array(50).fill(i + 1));
  const b = cs.map((_, i) => new Float64Array(9).fill(10 * i));
  const runs = cs.map(async (c, i) => {
    const p1 = c.allReduceSum(a[i]);
    const p2 = c.reduceScatterSum(new Float64Array(6).fill(i), [1, 2, 3]);
    const p3 = i === 1 ? Promise.resolve() : c.broadcast(b[i], 2, [0, 2]);
    const p4 = c.allGather(new Float64Array([i]), [1, 1, 1]);
    return Promise.all([p1, p2, p3, p4]);
  });
  const res = await Promise.all(runs);
  for (let i = 0; i < 3; i++) {
    assert.ok(a[i].every((v) => v === 6));
    assert.deepEqual([...res[i][1]], Array(i + 1).fill(3));
    assert.deepEqual([...res[i][3]], [0, 1, 2]);
    if (i !== 1) assert.ok(b[i].every((v) => v === 20));
  }
});

test('argument errors are thrown before anything is sent', async () => {
  const { cs } = ring([0, 1, 2]);
  const d = new Float32Array(4);
  await assert.rejects(cs[0].allReduceSum(d, [2, 0]), /sorted ascending/);
  await assert.rejects(cs[0].allReduceSum(d, [1, 2]), /not a member/);
  await assert.rejects(cs[0].allReduceSum(d, [0, 7]), /7 is not one of the devices/);
  await assert.rejects(cs[0].reduceScatterSum(d, [1, 1]), /2 entries for a group of 3/);
  await assert.rejects(cs[0].reduceScatterSum(d, [1, 1, 1]), /sum to 3, expected 4/);
  await assert.rejects(cs[0].allGather(d, [1, 4, 4]), /chunk has 4 elements/);
  await assert.rejects(cs[0].broadcast(d, 3), /root 3 is not in group/);
  await assert.rejects(cs[0].allReduceSum(new Int32Array(2) as never), /Float32Array or Float64Array/);
  await Promise.all(cs.map((c) => c.allReduceSum(new Float32Array(3).fill(1)))); // still usable
});

test('a lost device rejects pending and later operations on the others, naming it', T, async () => {
  const { mesh, cs } = ring([0, 1, 2, 3], 8, { pieceBytes: 64, window: 2 });
  const big = () => new Float32Array(100_000).fill(1);
  // Device 3 never calls: the others block inside the all-reduce until it is declared lost.
  const pending = [0, 1, 2].map((i) => cs[i].allReduceSum(big()));
  await new Promise((r) => setTimeout(r, 20));
  mesh.kill(3);
  const results = await Promise.allSettled(pending);
  for (const r of results) {
    assert.equal(r.status, 'rejected');
    assert.match((r as PromiseRejectedResult).reason.message, /device 3/);
  }
  await assert.rejects(cs[1].allReduceSum(big(), [0, 1]), /device 3/);
  // Device 1 is not a neighbour of 3 in the ring 0-1-2-3: it learnt of the loss through onPeerLost.
});

test('a device lost between operations: groups with it reject at once, groups without it still work', T, async () => {
  const { mesh, cs } = ring([0, 1, 2, 3], 4);
  mesh.kill(2);
  await assert.rejects(cs[0].allReduceSum(new Float64Array(10)), /device 2/);
  const late = new RingCollectives(mesh.links[1]); // subscribes after the loss: still told about it
  await assert.rejects(late.broadcast(new Float64Array(3), 1), /device 2/);
  const data = [new Float64Array([1, 2]), new Float64Array([10, 20])];
  await Promise.all([cs[1].allReduceSum(data[0], [1, 3]), cs[3].allReduceSum(data[1], [1, 3])]);
  assert.deepEqual([...data[0]], [11, 22]);
});
