import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { SocketLinks, makeSocketDir } from '../../../src/workers/transport/socket-links';
import type { ReduceArray } from '../../../src/core/collectives/types';
import type { Command, Reply } from './fixtures/collective-worker';
import { settled } from '../../../src/core/async/observed';

const FIXTURE = fileURLToPath(new URL('./fixtures/collective-worker.ts', import.meta.url));

/** One forked device worker and the replies it sent. */
class Worker {
  readonly child: ChildProcess;
  private readonly inbox: Reply[] = [];
  private wake: () => void = () => {};
  readonly exited: Promise<number | null>;

  constructor() {
    this.child = fork(FIXTURE, {
      execArgv: ['--import', 'tsx'],
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child.on('message', (m: Reply) => (this.inbox.push(m), this.wake()));
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => (resolve(code), this.wake())));
  }

  send(cmd: Command): void {
    this.child.send(cmd);
  }

  /** The next reply of one of `types`, within `ms`. */
  async next(types: Reply['type'][], ms = 20_000): Promise<Reply> {
    const deadline = Date.now() + ms;
    for (;;) {
      const i = this.inbox.findIndex((m) => types.includes(m.type));
      if (i >= 0) return this.inbox.splice(i, 1)[0];
      if (this.child.exitCode !== null || this.child.signalCode !== null) throw new Error(`worker exited waiting for ${types}`);
      if (Date.now() > deadline) throw new Error(`no ${types} reply within ${ms} ms`);
      await new Promise<void>((r) => ((this.wake = r), setTimeout(r, 50)));
    }
  }

  async result(): Promise<ReduceArray> {
    const m = await this.next(['result', 'error']);
    if (m.type === 'error') throw new Error(m.message);
    return (m as { data: ReduceArray }).data;
  }
}

/** Forks n workers sharing one socket dir; runs `body`; always kills leftovers and removes the dir. */
async function withMesh(n: number, body: (ws: Worker[]) => Promise<void>, pieceBytes?: number): Promise<void> {
  const dir = await makeSocketDir();
  const ws = Array.from({ length: n }, () => new Worker());
  try {
    const ids = ws.map((_, i) => i);
    ws.forEach((w, i) => w.send({ type: 'start', dir, deviceId: i, deviceIds: ids, pieceBytes }));
    for (const w of ws) assert.equal((await w.next(['ready', 'error'], 30_000)).type, 'ready');
    await body(ws);
  } finally {
    for (const w of ws) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
}

/** Clean close: every worker closes its links and then must exit on its own (no leaked handles). */
async function closeAll(ws: Worker[]): Promise<void> {
  for (const w of ws) w.send({ type: 'close' });
  for (const w of ws) assert.equal((await w.next(['closed', 'error'])).type, 'closed');
  const codes = await Promise.race([Promise.all(ws.map((w) => w.exited)), sleep(10_000).then(() => 'timeout')]);
  assert.deepEqual(
    codes,
    ws.map(() => 0),
    'workers exit by themselves after close()',
  );
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function random(C: Float32ArrayConstructor | Float64ArrayConstructor, n: number, seed: number): ReduceArray {
  const a = new C(n);
  let s = seed * 2654435761;
  for (let i = 0; i < n; i++) ((s = (s * 1103515245 + 12345) % 2 ** 31), (a[i] = s / 2 ** 28 - 4));
  return a;
}

function checkSum(actual: ReduceArray, inputs: ReduceArray[], offset = 0): void {
  const eps = actual instanceof Float32Array ? 2 ** -23 : 2 ** -52;
  for (let i = 0; i < actual.length; i++) {
    let sum = 0;
    let mag = 0;
    for (const x of inputs) ((sum += x[offset + i]), (mag += Math.abs(x[offset + i])));
    if (Math.abs(actual[i] - sum) > mag * eps * inputs.length) assert.fail(`element ${offset + i}: ${actual[i]} vs ${sum}`);
  }
}

const sameBits = (a: ReduceArray, b: ReduceArray) =>
  assert.ok(Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength)));

async function runAll(ws: Worker[], make: (i: number) => Command): Promise<ReduceArray[]> {
  ws.forEach((w, i) => w.send(make(i)));
  return Promise.all(ws.map((w) => w.result()));
}

for (const n of [2, 3, 4]) {
  test(
    `N=${n} worker processes: all-reduce, reduce-scatter, all-gather, broadcast, subgroup over sockets`,
    { timeout: 90_000 },
    async () => {
      await withMesh(
        n,
        async (ws) => {
          for (const [C, size] of [
            [Float32Array, 1_000_003],
            [Float64Array, 77_777],
            [Float32Array, n - 1],
            [Float32Array, 0],
          ] as const) {
            const inputs = ws.map((_, i) => random(C, size, 10 * n + i));
            const out = await runAll(ws, (i) => ({ type: 'allReduce', id: 1, data: inputs[i] }));
            checkSum(out[0], inputs);
            for (const o of out) sameBits(o, out[0]);
          }
          const sizes = Array.from({ length: n }, (_, i) => [300_001, 0, 5, 123_456][i]);
          const total = sizes.reduce((a, b) => a + b, 0);
          const inputs = ws.map((_, i) => random(Float32Array, total, 7 + i));
          const scattered = await runAll(ws, (i) => ({ type: 'reduceScatter', id: 2, data: inputs[i], sizes }));
          scattered.reduce(
            (off, part, i) => (assert.equal(part.length, sizes[i]), checkSum(part, inputs, off), off + sizes[i]),
            0,
          );
          const gathered = await runAll(ws, (i) => ({ type: 'allGather', id: 3, data: scattered[i], sizes }));
          for (const g of gathered) sameBits(g, Float32Array.from(scattered.flatMap((s) => [...s])));
          const bdata = ws.map((_, i) => random(Float64Array, 200_003, 99 + i));
          const bout = await runAll(ws, (i) => ({ type: 'broadcast', id: 4, data: bdata[i], root: n - 1 }));
          for (const b of bout) sameBits(b, bdata[n - 1]);
          // Subgroup {0, n-1}: the others take no part in it.
          const group = [0, n - 1];
          const sub = group.map((i) => random(Float32Array, 4097, i));
          group.forEach((d, j) => ws[d].send({ type: 'allReduce', id: 5, data: sub[j], group }));
          const subOut = await Promise.all(group.map((d) => ws[d].result()));
          checkSum(subOut[0], sub);
          sameBits(subOut[0], subOut[1]);
          await closeAll(ws);
        },
        [undefined, undefined, undefined, 4096, 65536][n],
      );
    },
  );
}

for (const n of [3, 4]) {
  test(
    `N=${n}: killing a worker mid all-reduce makes every other worker reject promptly, naming it`,
    { timeout: 60_000 },
    async (t) => {
      await withMesh(n, async (ws) => {
        ws.forEach((w) => w.send({ type: 'loop', id: 7, length: 2_000_000 }));
        for (const w of ws) assert.equal((await w.next(['looping', 'error'])).type, 'looping');
        await sleep(50);
        const victim = 1;
        ws[victim].child.kill('SIGKILL');
        const survivors = ws.filter((_, i) => i !== victim);
        // The survivors must reject (not hang); how fast is the bench's business, not a test's.
        const errors = await Promise.all(survivors.map((w) => w.next(['error'], 30_000)));
        for (const e of errors) assert.match((e as { message: string }).message, new RegExp(`device ${victim}\\b`));
        t.diagnostic(`survivors rejected: ${(errors[0] as { message: string }).message}`);
        await closeAll(survivors);
      });
    },
  );
}

test('connect times out with an error naming the missing device, leaving no handles behind', { timeout: 20_000 }, async () => {
  const dir = await makeSocketDir();
  const pipes = () => process.getActiveResourcesInfo().filter((r) => r.startsWith('Pipe')).length;
  const before = pipes();
  await assert.rejects(
    SocketLinks.connect({ dir, deviceId: 0, deviceIds: [0, 1, 2], connectTimeoutMs: 400 }),
    /timed out after 400 ms waiting for devices \[1, 2\]/,
  );
  await sleep(100);
  assert.equal(pipes(), before, 'no socket or server left open');
  await rm(dir, { recursive: true, force: true });
});

test(
  'in one process: ordering, receive posted late, size mismatch, clean close keeps sent data readable',
  { timeout: 20_000 },
  async () => {
    const dir = await makeSocketDir();
    const [a, b] = await Promise.all([0, 1].map((deviceId) => SocketLinks.connect({ dir, deviceId, deviceIds: [0, 1] })));
    // Messages sent before any receive is posted (reading pauses, then resumes through staging).
    const msgs = [1, 70_000, 3, 1_000_000].map((len, i) => random(Float64Array, len, i));
    const sent = Promise.all(msgs.map((m) => a.send(1, m)));
    await sleep(50);
    for (const m of msgs) {
      const got = new Float64Array(m.length);
      await b.recvInto(0, got);
      sameBits(got, m);
    }
    await sent;
    // Both directions at once, zero-length messages are no-ops.
    await Promise.all([
      b.send(0, new Float32Array(5).fill(2)),
      a.recvInto(1, new Float32Array(5)),
      a.send(1, new Float32Array(0)),
    ]);
    // A receive of the wrong size breaks the link (the streams would be out of step) and says so.
    const lost: number[] = [];
    b.onPeerLost((peer) => lost.push(peer));
    void settled(a.send(1, new Float32Array(4))); // its own outcome is not what this checks
    await assert.rejects(b.recvInto(0, new Float32Array(3)), /message of 16 bytes arrived for a receive of 12 bytes/);
    assert.deepEqual(lost, [0]);
    await Promise.all([a.close(), b.close()]);
    // A clean close after sending: the data already sent is still delivered, then "closed its links".
    const [c, d] = await Promise.all([0, 1].map((deviceId) => SocketLinks.connect({ dir, deviceId, deviceIds: [0, 1] })));
    const lostD: number[] = [];
    d.onPeerLost((peer) => lostD.push(peer));
    const last = random(Float32Array, 1000, 5); // small enough to sit in the kernel buffer
    await c.send(1, last);
    await c.close();
    const got = new Float32Array(last.length);
    await d.recvInto(0, got);
    sameBits(got, last);
    await assert.rejects(d.recvInto(0, new Float32Array(1)), /device 0 closed its links/);
    await assert.rejects(d.send(0, new Float32Array(1)), /device 0 closed its links/);
    assert.deepEqual(lostD, [], 'a clean close is not a loss');
    await d.close();
    await rm(dir, { recursive: true, force: true });
  },
);
