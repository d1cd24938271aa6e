// One device process of the collectives benchmark (forked by bench/collectives.ts with an IPC channel).
import { SocketLinks } from '../src/workers/transport/socket-links';
import { RingCollectives } from '../src/core/collectives/ring';
import { nativeBlas } from '../src/workers/native-blas';
import { benchCompute } from './compute';

/** The reduction add of an all-reduce: the native addon's (what workers use when it loads) or the JS loop. */
export type AddImpl = 'native' | 'js';

export type BenchCommand =
  | { type: 'start'; dir: string; deviceId: number; deviceIds: number[]; pieceBytes?: number; window?: number }
  | { type: 'p2p'; bytes: number; reps: number }
  | { type: 'exchange'; bytes: number; reps: number }
  | { type: 'allReduce'; elems: number; iters: number; add?: AddImpl }
  | { type: 'close' };

/** `seconds`: wall time (per iteration for allReduce); `cpu`: this process's user+system CPU seconds, same unit. */
export type BenchReply =
  { type: 'ready' } | { type: 'timing'; seconds: number; cpu: number } | { type: 'closed' } | { type: 'error'; message: string };

let links: SocketLinks;
/** One ring per add over the same links: commands run one at a time, so their messages never interleave. */
let rings: Record<AddImpl, RingCollectives>;
const reply = (r: BenchReply): void => void process.send!(r);

// Arrays are kept between commands: first-touch page faults of fresh memory are slow (about
// 0.3 GB/s in this VM) and must not be timed as transport.
const arrays = new Map<string, Float32Array>();
function array(key: string, elems: number): Float32Array {
  let a = arrays.get(key);
  if (a?.length !== elems) arrays.set(key, (a = new Float32Array(elems).fill(1)));
  return a;
}

/** Runs `body`, returning its wall and CPU seconds divided by `per`. */
async function timed(per: number, body: () => Promise<void>): Promise<BenchReply> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await body();
  const cpu = process.cpuUsage(cpu0);
  return { type: 'timing', seconds: (performance.now() - t0) / 1000 / per, cpu: (cpu.user + cpu.system) / 1e6 / per };
}

/** Device 1 receives `reps` messages of `bytes` from device 0 (one receive posted ahead); others idle. */
async function p2p(bytes: number, reps: number): Promise<BenchReply> {
  return timed(reps, () =>
    links.deviceId === 0 ? p2pSend(bytes, reps) : links.deviceId === 1 ? p2pRecv(bytes, reps) : Promise.resolve(),
  );
}

async function p2pSend(bytes: number, reps: number): Promise<void> {
  await links.recvInto(1, new Uint8Array(4)); // "go"
  const data = array('send', bytes / 4);
  await Promise.all(Array.from({ length: reps }, () => links.send(1, data)));
}

async function p2pRecv(bytes: number, reps: number): Promise<void> {
  const bufs = [array('recv0', bytes / 4), array('recv1', bytes / 4)];
  await links.send(0, new Uint8Array(4));
  let next = links.recvInto(0, bufs[0]);
  for (let i = 0; i < reps; i++) {
    const current = next;
    if (i + 1 < reps) next = links.recvInto(0, bufs[(i + 1) % 2]);
    await current;
  }
}

/**
 * Devices 0 and 1 send each other `reps` messages of `bytes` at the same time: the traffic pattern of
 * one ring step (every member sends to one neighbour while receiving from the other).
 */
async function exchange(bytes: number, reps: number): Promise<BenchReply> {
  const id = links.deviceId;
  if (id > 1) return timed(reps, () => Promise.resolve());
  const peer = 1 - id;
  await Promise.all([links.send(peer, new Uint8Array(4)), links.recvInto(peer, new Uint8Array(4))]); // both ready
  return timed(reps, async () => {
    const data = array('xsend', bytes / 4);
    const bufs = [array('xrecv0', bytes / 4), array('xrecv1', bytes / 4)];
    const sends = Promise.all(Array.from({ length: reps }, () => links.send(peer, data)));
    for (let i = 0; i < reps; i++) await links.recvInto(peer, bufs[i % 2]!);
    await sends;
  });
}

/** Timing per all-reduce of `elems` float32, averaged over `iters`, after a checked warm-up. */
async function allReduce(elems: number, iters: number, add: AddImpl = 'native'): Promise<BenchReply> {
  const ring = rings[add];
  const data = array('allReduce', elems).fill(1);
  await ring.allReduceSum(data); // warm-up, and a barrier
  const n = links.deviceIds.length;
  for (const i of [0, elems >> 1, elems - 1])
    if (data[i] !== n) throw new Error(`wrong all-reduce result ${data[i]} at ${i}, expected ${n}`);
  data.fill(0.5);
  return timed(iters, async () => {
    for (let i = 0; i < iters; i++) await ring.allReduceSum(data);
  });
}

async function handle(cmd: BenchCommand): Promise<void> {
  switch (cmd.type) {
    case 'start':
      links = await SocketLinks.connect(cmd);
      rings = {
        native: new RingCollectives(links, {
          pieceBytes: cmd.pieceBytes,
          window: cmd.window,
          add: nativeBlas(benchCompute().nativeBlas).add ?? undefined,
        }),
        js: new RingCollectives(links, { pieceBytes: cmd.pieceBytes, window: cmd.window }),
      };
      return reply({ type: 'ready' });
    case 'p2p':
      return reply(await p2p(cmd.bytes, cmd.reps));
    case 'exchange':
      return reply(await exchange(cmd.bytes, cmd.reps));
    case 'allReduce':
      return reply(await allReduce(cmd.elems, cmd.iters, cmd.add));
    case 'close':
      rings.native.dispose();
      rings.js.dispose();
      await links.close();
      reply({ type: 'closed' });
      process.disconnect();
  }
}

process.on('message', (cmd: BenchCommand) => {
  handle(cmd).catch((e: Error) => reply({ type: 'error', message: e.message }));
});
