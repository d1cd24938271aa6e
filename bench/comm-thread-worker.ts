// One device process of the comm-thread benchmark (forked by bench/comm-thread.ts): the same ring run
// on this thread (SocketLinks + RingCollectives) and on a communication thread (ThreadedCollectives),
// over two socket meshes, with the same piece size and the native add when it loads.
import { SocketLinks } from '../src/workers/transport/socket-links';
import { RingCollectives } from '../src/core/collectives/ring';
import { ThreadedCollectives, sharedFloat32 } from '../src/workers/transport/threaded-collectives';
import { nativeBlas } from '../src/workers/native-blas';
import type { Collectives } from '../src/core/collectives/types';
import { benchCompute } from './compute';

/** inThread: RingCollectives here; shared/plain: ThreadedCollectives with a SharedArrayBuffer or an ordinary array. */
export type Impl = 'inThread' | 'shared' | 'plain';

export type CommCommand =
  | { type: 'start'; dir: string; threadDir: string; deviceId: number; deviceIds: number[] }
  /** `iters` all-reduces of `elems` float32, awaited; with `computeMs` (0 too), each overlapped with that much synchronous work and waited with waitSync. */
  | { type: 'allReduce'; impl: Impl; elems: number; iters: number; computeMs?: number }
  | { type: 'close' };

export type CommReply =
  { type: 'ready'; add: string } | { type: 'timing'; seconds: number } | { type: 'closed' } | { type: 'error'; message: string };

let links: SocketLinks;
let ring: RingCollectives;
let threaded: ThreadedCollectives;
const reply = (r: CommReply): void => void process.send!(r);

// Kept between commands: first touches of fresh memory are slow and must not be timed as transport.
const arrays = new Map<string, Float32Array>();
function array(impl: Impl, elems: number): Float32Array {
  const key = `${impl}:${elems}`;
  let a = arrays.get(key);
  if (!a) arrays.set(key, (a = impl === 'shared' ? sharedFloat32(elems) : new Float32Array(elems)));
  return a;
}

/** Synchronous work that never yields to the event loop (a stand-in for a forward/backward pass). */
function compute(ms: number): void {
  const end = performance.now() + ms;
  let x = 0;
  while (performance.now() < end) for (let i = 0; i < 10_000; i++) x += Math.sqrt(i + x) * 1e-12;
  if (x < 0) console.log(x);
}

/**
 * One step: without `computeMs`, the all-reduce awaited; with it, the all-reduce and that much
 * synchronous work, overlapped on a communication thread (issued, computed, then waitSync).
 */
async function step(impl: Impl, data: Float32Array, computeMs: number | undefined): Promise<void> {
  if (impl === 'inThread' || computeMs === undefined) {
    await (impl === 'inThread' ? ring : threaded).allReduceSum(data);
    return compute(computeMs ?? 0);
  }
  const op = threaded.allReduceSum(data);
  compute(computeMs);
  threaded.waitSync(op);
}

async function allReduce(impl: Impl, elems: number, iters: number, computeMs?: number): Promise<CommReply> {
  const c: Collectives = impl === 'inThread' ? ring : threaded;
  const data = array(impl, elems).fill(1);
  await c.allReduceSum(data); // warm-up, and a barrier
  const n = c.deviceIds.length;
  for (const i of [0, elems >> 1, elems - 1])
    if (data[i] !== n) throw new Error(`wrong all-reduce result ${data[i]} at ${i}, expected ${n}`);
  data.fill(0.5);
  const t0 = performance.now();
  for (let i = 0; i < iters; i++) await step(impl, data, computeMs);
  return { type: 'timing', seconds: (performance.now() - t0) / 1000 / iters };
}

async function handle(cmd: CommCommand): Promise<void> {
  switch (cmd.type) {
    case 'start': {
      const { deviceId, deviceIds } = cmd;
      [links, threaded] = await Promise.all([
        SocketLinks.connect({ dir: cmd.dir, deviceId, deviceIds }),
        ThreadedCollectives.start({ dir: cmd.threadDir, deviceId, deviceIds }),
      ]);
      ring = new RingCollectives(links, { add: nativeBlas(benchCompute().nativeBlas).add ?? undefined });
      return reply({ type: 'ready', add: threaded.add });
    }
    case 'allReduce':
      return reply(await allReduce(cmd.impl, cmd.elems, cmd.iters, cmd.computeMs));
    case 'close':
      ring.dispose();
      await Promise.all([links.close(), threaded.close()]);
      reply({ type: 'closed' });
      process.disconnect();
  }
}

process.on('message', (cmd: CommCommand) => {
  handle(cmd).catch((e: Error) => reply({ type: 'error', message: e.message }));
});
