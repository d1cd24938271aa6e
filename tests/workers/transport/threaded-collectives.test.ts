// ThreadedCollectives (sockets and ring on a communication thread) in real forked worker processes:
// bit-identical to RingCollectives run on the main thread in the same processes, for every kind of
// array; operations complete while the main thread computes without yielding; failures come through.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { makeSocketDir } from '../../../src/workers/transport/socket-links';
import { ThreadedCollectives, sharedFloat32 } from '../../../src/workers/transport/threaded-collectives';
import type { ReduceArray } from '../../../src/core/collectives/types';
import { seededRandom, testSeed } from '../../helpers/seed';
import type { Command, Kind, ProgramOp, Reply } from './fixtures/threaded-worker';

const FIXTURE = fileURLToPath(new URL('./fixtures/threaded-worker.ts', import.meta.url));

/** One forked device process (strict: an unhandled rejection kills it, and the exit code says so). */
class Proc {
  readonly child: ChildProcess;
  private readonly inbox: Reply[] = [];
  private wake: () => void = () => {};
  readonly exited: Promise<number | null>;

  constructor() {
    this.child = fork(FIXTURE, {
      execArgv: ['--import', 'tsx', '--unhandled-rejections=strict'],
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child.on('message', (m: Reply) => (this.inbox.push(m), this.wake()));
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => (resolve(code), this.wake())));
  }

  send(cmd: Command): void {
    this.child.send(cmd);
  }

  async next<T extends Reply['type']>(type: T, ms = 60_000): Promise<Extract<Reply, { type: T }>> {
    const deadline = Date.now() + ms;
    for (;;) {
      const i = this.inbox.findIndex((m) => m.type === type || m.type === 'error');
      if (i >= 0) {
        const m = this.inbox.splice(i, 1)[0]!;
        if (m.type === 'error' && type !== 'error') throw new Error(`worker error: ${m.message}`);
        return m as Extract<Reply, { type: T }>;
      }
      if (this.child.exitCode !== null || this.child.signalCode !== null) throw new Error(`worker exited waiting for ${type}`);
      if (Date.now() > deadline) throw new Error(`no ${type} reply within ${ms} ms`);
      await new Promise<void>((r) => ((this.wake = r), setTimeout(r, 50)));
    }
  }
}

async function withMesh(n: number, body: (ps: Proc[]) => Promise<void>, pieceBytes?: number): Promise<void> {
  const [dir, ringDir] = await Promise.all([makeSocketDir('dtt-'), makeSocketDir('dtr-')]);
  const ps = Array.from({ length: n }, () => new Proc());
  try {
    const deviceIds = ps.map((_, i) => i);
    ps.forEach((p, i) => p.send({ type: 'start', dir, ringDir, deviceId: i, deviceIds, pieceBytes }));
    for (const p of ps) await p.next('ready');
    await body(ps);
  } finally {
    for (const p of ps) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await Promise.all([dir, ringDir].map((d) => rm(d, { recursive: true, force: true })));
  }
}

/** Clean close, after which every process must exit by itself with code 0. */
async function closeAll(ps: Proc[]): Promise<void> {
  for (const p of ps) p.send({ type: 'close' });
  for (const p of ps) await p.next('closed');
  const codes = await Promise.race([Promise.all(ps.map((p) => p.exited)), sleep(15_000).then(() => 'timeout')]);
  assert.deepEqual(
    codes,
    ps.map(() => 0),
    'processes exit by themselves after close(), without unhandled rejections',
  );
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const bits = (a: ReduceArray) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

function randomArray(C: Float32ArrayConstructor | Float64ArrayConstructor, n: number, rand: () => number): ReduceArray {
  const a = new C(n);
  for (let i = 0; i < n; i++) a[i] = (rand() - 0.5) * 2 ** Math.floor(rand() * 20 - 10);
  return a;
}

/** Per-device programs: every operation, unequal and empty chunks, subgroups, chained results. */
function programs(n: number, rand: () => number): ProgramOp[][] {
  const sizes = [123_457, 0, 77_001].slice(0, n);
  if (n === 2) sizes[1] = 5;
  const total = sizes.reduce((a, b) => a + b, 0);
  const sub = [0, n - 1];
  return Array.from({ length: n }, (_, d) => {
    const r = (C: Float32ArrayConstructor | Float64ArrayConstructor, len: number) => randomArray(C, len, rand);
    return [
      { op: 'allReduce', data: r(Float32Array, 200_003) },
      { op: 'allReduce', data: r(Float64Array, 50_001) },
      { op: 'reduceScatter', data: r(Float32Array, total), sizes, withOut: false },
      { op: 'reduceScatter', data: r(Float64Array, total), sizes, withOut: true },
      { op: 'allGather', from: 2, sizes, withOut: true },
      { op: 'allGather', from: 3, sizes, withOut: false },
      { op: 'broadcast', data: r(Float64Array, 30_011), root: n - 1 },
      { op: 'allReduce', data: r(Float32Array, 4097), group: sub },
      { op: 'allGather', data: r(Float32Array, 1000 + d), sizes: sub.map((m) => 1000 + m), withOut: false, group: sub },
      { op: 'allReduce', data: new Float32Array(0) },
    ] satisfies ProgramOp[];
  });
}

async function runProgram(ps: Proc[], progs: ProgramOp[][], impl: 'threaded' | 'ring', kinds: Kind[], pipelined: boolean) {
  ps.forEach((p, i) => p.send({ type: 'program', impl, ops: progs[i]!, kinds, pipelined }));
  return Promise.all(ps.map((p) => p.next('results')));
}

/** Independent checks of the reference run: sums within float rounding, gathers and broadcasts exact. */
function checkReference(progs: ProgramOp[][], ref: (ReduceArray | null)[][]): void {
  const n = progs.length;
  const sumCheck = (got: ReduceArray, inputs: ReduceArray[], off: number) => {
    const eps = got instanceof Float32Array ? 2 ** -23 : 2 ** -52;
    for (let i = 0; i < got.length; i++) {
      let s = 0,
        mag = 0;
      for (const x of inputs) ((s += x[off + i]!), (mag += Math.abs(x[off + i]!)));
      if (Math.abs(got[i]! - s) > mag * eps * n) assert.fail(`element ${off + i}: ${got[i]} vs ${s}`);
    }
  };
  const data = (k: number) => progs.map((p) => (p[k] as { data: ReduceArray }).data);
  sumCheck(ref[0]![0]!, data(0), 0);
  sumCheck(ref[0]![1]!, data(1), 0);
  const sizes = (progs[0]![2] as { sizes: number[] }).sizes;
  for (let d = 0, off = 0; d < n; off += sizes[d]!, d++)
    (sumCheck(ref[d]![2]!, data(2), off), sumCheck(ref[d]![3]!, data(3), off));
  const concat = (k: number, C: Float32ArrayConstructor | Float64ArrayConstructor) => C.from(ref.flatMap((r) => [...r[k]!]));
  for (let d = 0; d < n; d++) {
    assert.ok(bits(ref[d]![4]!).equals(bits(concat(2, Float32Array))), 'all-gather of the scattered float32 chunks');
    assert.ok(bits(ref[d]![5]!).equals(bits(concat(3, Float64Array))), 'all-gather of the scattered float64 chunks');
    assert.ok(bits(ref[d]![6]!).equals(bits(data(6)[n - 1]!)), 'broadcast from the last device');
  }
  sumCheck(ref[0]![7]!, [data(7)[0]!, data(7)[n - 1]!], 0);
  assert.equal(ref[0]![9]!.length, 0);
}

const RUNS: { kinds: Kind[]; pipelined: boolean }[] = [
  { kinds: ['shared'], pipelined: true },
  { kinds: ['plain'], pipelined: true },
  { kinds: ['offset', 'sharedOffset'], pipelined: true },
  { kinds: ['sharedOffset', 'plain', 'shared'], pipelined: false },
];

for (const n of [2, 3]) {
  test(
    `N=${n} processes: threaded collectives give RingCollectives' bits for shared, plain and offset arrays, pipelined or not`,
    { timeout: 180_000 },
    async () => {
      const rand = seededRandom(testSeed(`threaded collectives N=${n}`));
      const progs = programs(n, rand);
      await withMesh(
        n,
        async (ps) => {
          const ref = (await runProgram(ps, progs, 'ring', ['plain'], false)).map((r) => r.results);
          checkReference(progs, ref);
          for (const { kinds, pipelined } of RUNS) {
            const got = await runProgram(ps, progs, 'threaded', kinds, pipelined);
            const what = `${kinds.join('+')} ${pipelined ? 'pipelined' : 'one at a time'}`;
            for (let d = 0; d < n; d++) {
              for (const [k, want] of ref[d]!.entries()) {
                const have = got[d]!.results[k];
                if (want === null) assert.equal(have, null);
                else
                  assert.ok(
                    have && have.constructor === want.constructor && bits(have).equals(bits(want)),
                    `${what}: device ${d}, op ${k} differs from the ring`,
                  );
              }
              for (const k of [3, 4]) assert.ok(got[d]!.returnedOut[k], `${what}: op ${k} returns the given out`);
            }
          }
          await closeAll(ps);
        },
        65_536,
      );
    },
  );
}

test(
  'N=2: an issued all-reduce completes while the main thread computes without yielding; waitSync fills plain outputs',
  { timeout: 120_000 },
  async () => {
    await withMesh(2, async (ps) => {
      const elems = 2 * 1024 * 1024; // 8 MiB of float32
      ps.forEach((p) => p.send({ type: 'overlap', elems }));
      const rs = await Promise.all(ps.map((p) => p.next('overlap')));
      for (const r of rs) {
        assert.ok(r.settledWhileBusy, 'the all-reduce settled before the main thread yielded');
        assert.ok(r.gatherSettledWhileBusy, 'the all-gather queued behind it settled too');
        // Device d contributed (d + 1) * (i mod 1000): the sum over 2 devices is 3 * (i mod 1000), exact in float32.
        for (let i = 0; i < elems; i += 997) assert.equal(r.reduced[i], 3 * (i % 1000), `element ${i}`);
        for (let d = 0; d < 2; d++) for (let i = 0; i < 1000; i += 37) assert.equal(r.gathered[d * 1000 + i], d * 1e6 + i);
      }
      await closeAll(ps);
    });
  },
);

test(
  "N=3: killing a process mid-operation fails the others' waitSync naming it; later ops reject; close still works",
  { timeout: 120_000 },
  async (t) => {
    await withMesh(3, async (ps) => {
      ps.forEach((p) => p.send({ type: 'loop', length: 1_000_000 }));
      for (const p of ps) await p.next('looping');
      await sleep(50);
      const victim = 1;
      ps[victim]!.child.kill('SIGKILL');
      const survivors = ps.filter((_, i) => i !== victim);
      for (const p of survivors) {
        const f = await p.next('failed');
        assert.match(f.message, new RegExp(`device ${victim}\\b`));
        assert.equal(f.waitSyncMessage, f.message, 'waitSync on the failed op throws its error again');
        assert.match(f.laterMessage, /unusable after an earlier failure|device 1\b/);
        t.diagnostic(`survivor: ${f.message}; later: ${f.laterMessage}`);
      }
      await closeAll(survivors);
    });
  },
);

test(
  'in one process: a thread that dies fails pending and later ops and waitSync; bad arguments; connect timeout',
  { timeout: 60_000 },
  async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    const kinds = ['MessagePort', 'PipeWrap', 'PipeServerWrap', 'Worker'];
    const resources = () =>
      process
        .getActiveResourcesInfo()
        .filter((r) => kinds.includes(r))
        .sort();
    const before = resources();
    const dir = await makeSocketDir('dtc-');
    try {
      const crashing = new URL('./fixtures/crashing-thread.ts', import.meta.url);
      const [a, b] = await Promise.all([
        ThreadedCollectives.start({ dir, deviceId: 0, deviceIds: [0, 1], threadEntry: crashing }),
        ThreadedCollectives.start({ dir, deviceId: 1, deviceIds: [0, 1] }),
      ]);
      // Argument errors: RingCollectives' messages, and waitSync throws them too.
      const bad = a.reduceScatterSum(sharedFloat32(10), [4, 5]);
      assert.throws(() => a.waitSync(bad), /chunkSizes \[4, 5\] sum to 9, expected 10/);
      await assert.rejects(bad, RangeError);
      assert.throws(() => a.waitSync(Promise.resolve()), /not an operation of device 0's ThreadedCollectives/);
      const solo = sharedFloat32(10).fill(2);
      await a.allReduceSum(solo, [0]); // first op, a group of one: done in the thread, no peer needed
      assert.deepEqual([...solo], new Array(10).fill(2));
      const doomed = a.allReduceSum(sharedFloat32(1000)); // the thread dies when this one arrives
      const died = /device 0: communication thread failed: test: the communication thread crashed/;
      assert.throws(() => a.waitSync(doomed), died);
      await assert.rejects(doomed, died);
      await assert.rejects(a.allGather(new Float32Array(2), [2, 2]), died);
      await Promise.all([a.close(), b.close(), a.close()]);
      await assert.rejects(b.allReduceSum(sharedFloat32(1)), /device 1: collectives are closed/);
      // A connect that times out rejects with SocketLinks' message, and its thread ends.
      await assert.rejects(
        ThreadedCollectives.start({ dir, deviceId: 0, deviceIds: [0, 1, 2], connectTimeoutMs: 400 }),
        /device 0: timed out after 400 ms waiting for devices \[1, 2\] to connect/,
      );
      await sleep(100);
      assert.deepEqual(resources(), before, 'no thread, port or socket left behind');
      assert.deepEqual(unhandled, [], 'no unhandled rejections');
    } finally {
      process.off('unhandledRejection', onUnhandled);
      await rm(dir, { recursive: true, force: true });
    }
  },
);

test(
  'waitSync still works where Atomics.wait is forbidden on the calling thread (it polls instead)',
  { timeout: 30_000 },
  async () => {
    const dir = await makeSocketDir('dtw-');
    const realWait = Atomics.wait;
    let refused = 0;
    try {
      const cs = await Promise.all([0, 1].map((deviceId) => ThreadedCollectives.start({ dir, deviceId, deviceIds: [0, 1] })));
      Atomics.wait = (() => {
        refused++;
        throw new TypeError('Atomics.wait cannot be called in this context');
      }) as typeof Atomics.wait;
      // Device d holds d + 0.25 + i: the sum 2i + 1.5 is exact in float32; a plain array, copied back by waitSync.
      const data = [0, 1].map((d) => Float32Array.from({ length: 300_000 }, (_, i) => d + 0.25 + i));
      const ops = cs.map((c, d) => c.allReduceSum(data[d]!));
      cs[0]!.waitSync(ops[0]!); // device 1's thread already has its request: the ring completes meanwhile
      Atomics.wait = realWait;
      for (let i = 0; i < 300_000; i += 101) assert.equal(data[0]![i], 2 * i + 1.5);
      await Promise.all(ops);
      assert.ok(refused >= 1, 'the blocking wait was tried and refused');
      await Promise.all(cs.map((c) => c.close()));
    } finally {
      Atomics.wait = realWait;
      await rm(dir, { recursive: true, force: true });
    }
  },
);
