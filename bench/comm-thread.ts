// Benchmark section: collectives on the device worker's thread (RingCollectives beside the model step)
// against collectives on a communication thread (ThreadedCollectives), in real processes, N = 2.
// 1. all-reduce bus bandwidth alone (what the thread hop costs);
// 2. all-reduce issued, then synchronous work of about the same duration, then waitSync (what the
//    overlap gains): on the worker's thread the two add up, on a communication thread they overlap.
import { fork, type ChildProcess } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { rm } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { makeSocketDir } from '../src/workers/transport/socket-links';
import type { CommCommand, CommReply, Impl } from './comm-thread-worker';
import type { BenchSection } from './section';
import { alternate, roundsOf } from './collectives';

const WORKER = fileURLToPath(new URL('./comm-thread-worker.ts', import.meta.url));
const MiB = 1 << 20;
const ROUNDS = 7;
const ITERS = 10;

class Proc {
  readonly child: ChildProcess;
  private waiting: ((r: CommReply) => void)[] = [];

  constructor() {
    this.child = fork(WORKER, {
      execArgv: ['--import', 'tsx'],
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child.on('message', (r: CommReply) => this.waiting.shift()?.(r));
    this.child.on('exit', (code) =>
      this.waiting.splice(0).forEach((w) => w({ type: 'error', message: `worker exited (${code})` })),
    );
  }

  async ask(cmd: CommCommand): Promise<CommReply> {
    const reply = new Promise<CommReply>((resolve) => this.waiting.push(resolve));
    this.child.send(cmd);
    const r = await reply;
    if (r.type === 'error') throw new Error(r.message);
    return r;
  }
}

/** Seconds per all-reduce (slowest process) of one round. */
async function round(ps: Proc[], impl: Impl, bytes: number, computeMs?: number, iters = ITERS): Promise<number> {
  const rs = await Promise.all(ps.map((p) => p.ask({ type: 'allReduce', impl, elems: bytes / 4, iters, computeMs })));
  return Math.max(...rs.map((r) => (r.type === 'timing' ? r.seconds : NaN)));
}

const fmt = (r: { best: number; median: number }, unit: string, digits = 2) =>
  `best ${r.best.toFixed(digits)} / median ${r.median.toFixed(digits)} ${unit}`;

async function run(): Promise<void> {
  const bytes = 16 * MiB;
  const [dir, threadDir] = await Promise.all([makeSocketDir('dtb-'), makeSocketDir('dtb-')]);
  const ps = [new Proc(), new Proc()];
  try {
    const ready = await Promise.all(ps.map((p, i) => p.ask({ type: 'start', dir, threadDir, deviceId: i, deviceIds: [0, 1] })));
    const add = ready[0]!.type === 'ready' ? ready[0].add : '?';
    console.log(
      `## comm-thread: 16 MiB float32 all-reduce, N=2 processes, ${ROUNDS} alternating rounds of ${ITERS} (reduction add in the thread: ${add})`,
    );
    const busbw = (s: number) => bytes / s / 1e9; // size * 2(N-1)/N at N = 2
    const [inThread, shared] = await alternate(
      ROUNDS,
      () => round(ps, 'inThread', bytes),
      () => round(ps, 'shared', bytes),
    );
    const [, plain] = await alternate(
      3,
      () => round(ps, 'inThread', bytes),
      () => round(ps, 'plain', bytes),
    );
    // Best and median of the times, as bandwidths (the best time is the highest bandwidth).
    const [a, b, c] = [inThread, shared, plain]
      .map((xs) => roundsOf(xs))
      .map((r) => ({ best: busbw(r.best), median: busbw(r.median) }));
    console.log(`busbw on the worker's thread: ${fmt(a!, 'GB/s')}`);
    console.log(
      `busbw on a communication thread, shared arrays: ${fmt(b!, 'GB/s')}: ${(b!.best / a!.best).toFixed(2)}x / ${(b!.median / a!.median).toFixed(2)}x`,
    );
    console.log(`busbw on a communication thread, plain arrays (staged copies): ${fmt(c!, 'GB/s')} (3 rounds)`);
    // Work as long as the all-reduce alone, so perfect overlap would halve the step.
    const computeMs = Math.round(a!.best > 0 ? (bytes / (a!.best * 1e9)) * 1000 : 10);
    const [seq, over] = await alternate(
      ROUNDS,
      () => round(ps, 'inThread', bytes, computeMs),
      () => round(ps, 'shared', bytes, computeMs),
    );
    const [s, o] = [roundsOf(seq.map((x) => x * 1000)), roundsOf(over.map((x) => x * 1000))];
    console.log(
      `all-reduce + ${computeMs} ms of synchronous work per step: on the worker's thread ${fmt(s, 'ms', 1)},` +
        ` overlapped on a communication thread ${fmt(o, 'ms', 1)}: ${(s.best / o.best).toFixed(2)}x / ${(s.median / o.median).toFixed(2)}x`,
    );
    // A tiny all-reduce (a step's loss and metric sums): the latency the thread hops add, awaited or waitSync'ed.
    const tiny = (impl: Impl, sync: boolean) => () => round(ps, impl, 16, sync ? 0 : undefined, 200);
    const [tinyIn, tinyAwait] = await alternate(ROUNDS, tiny('inThread', false), tiny('shared', false));
    const [, tinySync] = await alternate(ROUNDS, tiny('inThread', false), tiny('shared', true));
    const [ti, ta, tsy] = [tinyIn, tinyAwait, tinySync].map((xs) => roundsOf(xs.map((x) => x * 1e6)));
    console.log(
      `16-byte all-reduce latency: on the worker's thread, awaited ${fmt(ti!, 'µs', 0)}; on a communication thread,` +
        ` awaited ${fmt(ta!, 'µs', 0)}, waitSync ${fmt(tsy!, 'µs', 0)}`,
    );
    console.log(
      `load average: ${loadavg()
        .map((x) => x.toFixed(1))
        .join(' ')} on ${cpus().length} cores (each process has a main and a communication thread)`,
    );
    await Promise.all(ps.map((p) => p.ask({ type: 'close' })));
  } finally {
    for (const p of ps) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await Promise.all([dir, threadDir].map((d) => rm(d, { recursive: true, force: true })));
  }
}

export const commThreadSection: BenchSection = {
  name: 'comm-thread',
  description: 'all-reduce on the worker thread vs on a communication thread, alone and overlapped with compute, N = 2',
  run,
};

// Standalone: node --import tsx bench/comm-thread.ts
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await run();
