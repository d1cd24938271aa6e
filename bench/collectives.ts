// Benchmark section: the worker-to-worker data path with real processes. Raw point-to-point throughput
// of the Unix-socket links, then ring all-reduce bus bandwidth (nccl-tests definition) at N = 2, 3, 4.
import { fork, type ChildProcess } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { rm } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { makeSocketDir } from '../src/workers/transport/socket-links';
import { addInto } from '../src/core/collectives/chunking';
import { nativeBlas } from '../src/workers/native-blas';
import type { AddImpl, BenchCommand, BenchReply } from './collectives-worker';
import type { BenchSection } from './section';
import { median } from './timing';
import { benchCompute } from './compute';

const WORKER = fileURLToPath(new URL('./collectives-worker.ts', import.meta.url));
const MiB = 1 << 20;
const SIZES_MIB = [4, 16, 64];
const TARGET = 0.7; // busbw must reach this fraction of the raw point-to-point throughput
const GLOO_16MB = 1.34; // GB/s, PyTorch gloo all-reduce on these machines, measured during development
const SECONDS_PER_TRIAL = 0.5;

/** A forked worker whose replies are awaited one at a time. */
export class Proc {
  readonly child: ChildProcess;
  private waiting: ((r: BenchReply) => void)[] = [];

  constructor() {
    this.child = fork(WORKER, {
      execArgv: ['--import', 'tsx'],
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child.on('message', (r: BenchReply) => this.waiting.shift()?.(r));
    this.child.on('exit', (code) =>
      this.waiting.splice(0).forEach((w) => w({ type: 'error', message: `worker exited (${code})` })),
    );
  }

  async ask(cmd: BenchCommand, timeoutMs = 120_000): Promise<BenchReply> {
    const reply = new Promise<BenchReply>((resolve) => this.waiting.push(resolve));
    this.child.send(cmd);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>(
      (_, reject) => (timer = setTimeout(() => reject(new Error(`no reply to ${cmd.type}`)), timeoutMs)),
    );
    try {
      const r = await Promise.race([reply, timeout]);
      if (r.type === 'error') throw new Error(r.message);
      return r;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Starts n connected workers, runs `body`, closes them (and kills any that do not exit). */
export async function withWorkers<T>(n: number, body: (ps: Proc[]) => Promise<T>): Promise<T> {
  const dir = await makeSocketDir('dtb-');
  const ps = Array.from({ length: n }, () => new Proc());
  try {
    const ids = ps.map((_, i) => i);
    await Promise.all(ps.map((p, i) => p.ask({ type: 'start', dir, deviceId: i, deviceIds: ids })));
    const result = await body(ps);
    await Promise.all(ps.map((p) => p.ask({ type: 'close' })));
    return result;
  } finally {
    for (const p of ps) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
}

interface Timing {
  seconds: number; // wall time per unit of work (slowest process)
  cpu: number; // CPU seconds per unit of work (mean over the busy processes)
}

/** Best (fastest) of `trials` runs of `cmd` on every process; `busy` picks the processes that count. */
async function best(ps: Proc[], cmd: BenchCommand, trials: number, busy = (_: number) => true): Promise<Timing> {
  let out: Timing = { seconds: Infinity, cpu: NaN };
  for (let t = 0; t < trials; t++) {
    const rs = (await Promise.all(ps.map((p) => p.ask(cmd)))).map((r) => (r.type === 'timing' ? r : { seconds: NaN, cpu: NaN }));
    const used = rs.filter((_, i) => busy(i));
    const seconds = Math.max(...used.map((r) => r.seconds));
    if (seconds < out.seconds) out = { seconds, cpu: used.reduce((a, r) => a + r.cpu, 0) / used.length };
  }
  return out;
}

/** 16 MiB messages streamed from device 0 to device 1 (best of 3, ~0.5 s each). */
async function rawThroughput(ps: Proc[]): Promise<Timing> {
  const bytes = 16 * MiB;
  const probe = await best(ps, { type: 'p2p', bytes, reps: 4 }, 1, (i) => i === 1);
  const reps = Math.max(8, Math.min(200, Math.ceil(SECONDS_PER_TRIAL / probe.seconds)));
  return best(ps, { type: 'p2p', bytes, reps }, 3, (i) => i <= 1);
}

/** 16 MiB messages exchanged both ways between devices 0 and 1 at once (best of 3). */
async function exchangeThroughput(ps: Proc[]): Promise<Timing> {
  const bytes = 16 * MiB;
  const probe = await best(ps, { type: 'exchange', bytes, reps: 4 }, 1);
  const reps = Math.max(8, Math.min(200, Math.ceil(SECONDS_PER_TRIAL / probe.seconds)));
  return best(ps, { type: 'exchange', bytes, reps }, 3);
}

/** One all-reduce of `bytes` float32 (best of 3 trials of ~0.5 s each). */
async function allReduceTime(ps: Proc[], bytes: number): Promise<Timing> {
  const elems = bytes / 4;
  const probe = await best(ps, { type: 'allReduce', elems, iters: 2 }, 1);
  const iters = Math.max(3, Math.min(100, Math.ceil(SECONDS_PER_TRIAL / probe.seconds)));
  return best(ps, { type: 'allReduce', elems, iters }, 3);
}

/** One timed round of `iters` all-reduces of `bytes` float32 on every process (slowest process's time). */
export function allReduceRound(ps: Proc[], bytes: number, iters: number, add: AddImpl = 'native'): Promise<Timing> {
  return best(ps, { type: 'allReduce', elems: bytes / 4, iters, add }, 1);
}

/** Best (smallest) and median of per-round times. */
export interface Rounds {
  best: number;
  median: number;
}
export const roundsOf = (xs: number[]): Rounds => ({ best: Math.min(...xs), median: median(xs) });

/**
 * A against B in alternating rounds (ABBA…: A first on even rounds, B first on odd ones, so neither
 * side always runs right after the other); returns each side's per-round values.
 */
export async function alternate(
  rounds: number,
  a: () => Promise<number>,
  b: () => Promise<number>,
): Promise<[number[], number[]]> {
  const as: number[] = [];
  const bs: number[] = [];
  for (let k = 0; k < rounds; k++) {
    if (k % 2 === 0) (as.push(await a()), bs.push(await b()));
    else (bs.push(await b()), as.push(await a()));
  }
  return [as, bs];
}

const ADD_ROUNDS = 7;

/** The reduction add alone on 8 MiB (an N=2 16 MiB all-reduce's share), in the ring's 1 MiB pieces. */
async function addAlone(): Promise<void> {
  const native = nativeBlas(benchCompute().nativeBlas).add;
  if (!native) return console.log('reduction add alone: native add unavailable (node scripts/build-native.mjs), JS loop only');
  const dst = new Float32Array(2 * MiB).fill(1);
  const piece = new Float32Array(MiB / 4).fill(1e-3);
  const pass = (add: typeof addInto) => async () => {
    const t0 = performance.now();
    for (let rep = 0; rep < 10; rep++)
      for (let o = 0; o < dst.length; o += piece.length) add(dst.subarray(o, o + piece.length), piece);
    return (performance.now() - t0) / 10;
  };
  const [js, nat] = await alternate(ADD_ROUNDS, pass(addInto), pass(native));
  const [j, n] = [roundsOf(js), roundsOf(nat)];
  console.log(
    `reduction add alone, 8 MiB float32 in 1 MiB pieces, ${ADD_ROUNDS} alternating rounds of 10: JS loop best ${j.best.toFixed(2)} / median ${j.median.toFixed(2)} ms,` +
      ` native best ${n.best.toFixed(2)} / median ${n.median.toFixed(2)} ms: ${(j.best / n.best).toFixed(2)}x / ${(j.median / n.median).toFixed(2)}x faster`,
  );
}

/** 16 MiB N=2 all-reduce with the native add and with the JS loop, alternating rounds. */
async function allReduceByAdd(ps: Proc[]): Promise<void> {
  const bytes = 16 * MiB;
  const iters = 10;
  const cpus: Record<AddImpl, number[]> = { native: [], js: [] };
  const round = (add: AddImpl) => async () => {
    const t = await allReduceRound(ps, bytes, iters, add);
    cpus[add].push(t.cpu * 1000);
    return t.seconds;
  };
  const [nat, js] = await alternate(ADD_ROUNDS, round('native'), round('js'));
  const busbw = (s: number) => bytes / s / 1e9; // size * 2(N-1)/N at N = 2
  const [n, j] = [roundsOf(nat), roundsOf(js)].map((r) => ({ best: busbw(r.best), median: busbw(r.median) }));
  console.log(
    `all-reduce 16 MiB N=2, ${ADD_ROUNDS} alternating rounds of ${iters}: busbw native add best ${n.best.toFixed(2)} / median ${n.median.toFixed(2)} GB/s` +
      ` (cpu ${Math.min(...cpus.native).toFixed(1)} ms), JS add best ${j.best.toFixed(2)} / median ${j.median.toFixed(2)} GB/s (cpu ${Math.min(...cpus.js).toFixed(1)} ms):` +
      ` ${(n.best / j.best).toFixed(2)}x / ${(n.median / j.median).toFixed(2)}x`,
  );
}

const col = (x: number | string, width: number, digits = 2) => (typeof x === 'number' ? x.toFixed(digits) : x).padStart(width);

async function run(): Promise<void> {
  const cores = cpus().length;
  console.log('## collectives: ring all-reduce over Unix domain sockets (real worker processes, best of 3 trials)');
  const raw = await withWorkers(2, rawThroughput);
  const rawBw = (16 * MiB) / raw.seconds / 1e9;
  const rawCeiling = (16 * MiB) / raw.cpu / 1e9;
  console.log(
    `raw point-to-point, 16 MiB messages, process 0 -> 1: ${rawBw.toFixed(2)} GB/s` +
      ` (CPU ${(raw.cpu * 1000).toFixed(1)} ms per message per process)`,
  );
  const both = await withWorkers(2, exchangeThroughput);
  const bothBw = (16 * MiB) / both.seconds / 1e9;
  console.log(`two-way exchange, 16 MiB each way at once (one ring step's traffic): ${bothBw.toFixed(2)} GB/s per direction`);
  await addAlone();
  await withWorkers(2, allReduceByAdd);
  console.log('the table below uses the native add when it loads (as the workers do)');
  console.log(
    `all-reduce float32: busbw = size * 2(N-1)/N / time; target busbw >= ${TARGET} x raw = ${(TARGET * rawBw).toFixed(2)} GB/s`,
  );
  console.log(
    'cpu = CPU ms per all-reduce per process; cpu-bound = busbw if every process had a core to itself (size*2(N-1)/N / cpu)',
  );
  console.log("busbw/2way = busbw against the two-way exchange: the ring's own overhead over its traffic pattern");
  console.log('   N    size  ms/iter  busbw GB/s  busbw/raw  target   cpu ms  cpu-bound GB/s  busbw/2way');
  for (const n of [2, 3, 4]) {
    await withWorkers(n, async (ps) => {
      for (const mib of SIZES_MIB) {
        const t = await allReduceTime(ps, mib * MiB);
        const bus = (mib * MiB * 2 * (n - 1)) / n;
        const ratio = bus / t.seconds / 1e9 / rawBw;
        const note = n > cores ? `   (${n} processes on ${cores} cores)` : '';
        const cells = [
          col(n, 4, 0),
          col(`${mib} MiB`, 8),
          col(t.seconds * 1000, 8, 1),
          col(bus / t.seconds / 1e9, 11),
          col(ratio, 10),
        ];
        const vsBoth = bus / t.seconds / 1e9 / bothBw;
        console.log(
          `${cells.join(' ')}  ${ratio >= TARGET ? 'PASS' : 'MISS'} ${col(t.cpu * 1000, 8, 1)} ${col(bus / t.cpu / 1e9, 15)} ${col(vsBoth, 11)}${note}`,
        );
      }
    });
  }
  console.log(
    `raw point-to-point cpu-bound: ${rawCeiling.toFixed(2)} GB/s; PyTorch gloo all-reduce of 16 MB on these machines: ${GLOO_16MB} GB/s busbw`,
  );
  console.log(
    `load average during the run: ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')} (other processes share the ${cores} cores)`,
  );
  if (cores < 4) {
    console.log(`caveat: this machine has ${cores} cores, so N > ${cores} runs oversubscribed (processes share cores and each`);
    console.log('        ring step waits for the scheduler): those rows understate the transport.');
  }
}

export const collectivesSection: BenchSection = {
  name: 'collectives',
  description: 'socket transport GB/s and ring all-reduce bus bandwidth, real processes, N = 2, 3, 4',
  run,
};

// Standalone: node --import tsx bench/collectives.ts
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await run();
