// dtrain's ring all-reduce against PyTorch gloo's, sampled the same way: both sides stay up (dtrain's
// two worker processes, gloo's two ranks) and take turns, one round each, alternating who goes first;
// every round is the same number of 16 MiB all-reduces timed as the slowest process's wall time. Best
// and median over the rounds are reported for both, so a load change on this shared machine hits
// both sides alike instead of whichever happened to run during it.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { allReduceRound, alternate, roundsOf, withWorkers, type Rounds } from './collectives';

const PEER = fileURLToPath(new URL('./peers/torch_peer.py', import.meta.url));
export const RING_BYTES = 16 << 20;
export const RING_ROUNDS = 9;
export const RING_ITERS = 10;

export interface RingComparison {
  /** Per-round busbw statistics in GB/s (best = fastest round), and CPU ms per all-reduce (best round). */
  dtrain: Rounds & { cpuMs: number };
  gloo: (Rounds & { cpuMs: number }) | null;
}

/** The gloo ranks of the PyTorch peer, serving one round per request. */
class GlooRounds {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: AsyncIterator<string>;

  constructor(python: string) {
    const env = { ...process.env, OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
    this.child = spawn(python, [PEER, '--allreduce-rounds', String(RING_BYTES)], { env });
    this.child.stderr.on('data', () => {}); // drained; a failure shows up as a missing line
    this.lines = createInterface({ input: this.child.stdout })[Symbol.asyncIterator]();
  }

  private async line(what: string): Promise<string> {
    const next = await this.lines.next();
    if (next.done) throw new Error(`the gloo peer exited before ${what} (exit code ${this.child.exitCode})`);
    return next.value;
  }

  async ready(): Promise<void> {
    const first = await this.line('it was ready');
    if (first !== 'ready') throw new Error(`the gloo peer said '${first}' instead of 'ready'`);
  }

  async round(iters: number): Promise<{ seconds: number; cpu: number }> {
    this.child.stdin.write(`${iters}\n`);
    return JSON.parse(await this.line('a round finished')) as { seconds: number; cpu: number };
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.stdin.end('0\n');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}

const busbw = (seconds: number) => (RING_BYTES * 2 * (2 - 1)) / 2 / seconds / 1e9;

function summary(seconds: number[], cpu: number[]): Rounds & { cpuMs: number } {
  const r = roundsOf(seconds);
  return { best: busbw(r.best), median: busbw(r.median), cpuMs: Math.min(...cpu) * 1000 };
}

/** 16 MiB N=2 all-reduce, dtrain vs gloo in alternating rounds (gloo null when `python` is). */
export async function ringVsGloo(python: string | null): Promise<RingComparison> {
  const gloo = python ? new GlooRounds(python) : null;
  try {
    if (gloo) await gloo.ready();
    return await withWorkers(2, async (ps) => {
      const cpu = { dtrain: [] as number[], gloo: [] as number[] };
      const ours = async () => {
        const t = await allReduceRound(ps, RING_BYTES, RING_ITERS);
        cpu.dtrain.push(t.cpu);
        return t.seconds;
      };
      if (!gloo) {
        const [d] = await alternate(RING_ROUNDS, ours, async () => NaN);
        return { dtrain: summary(d, cpu.dtrain), gloo: null };
      }
      const theirs = async () => {
        const t = await gloo.round(RING_ITERS);
        cpu.gloo.push(t.cpu);
        return t.seconds;
      };
      const [d, g] = await alternate(RING_ROUNDS, ours, theirs);
      return { dtrain: summary(d, cpu.dtrain), gloo: summary(g, cpu.gloo) };
    });
  } finally {
    await gloo?.stop();
  }
}
