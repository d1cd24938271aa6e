// A checkpoint past Node's 2 GiB IPC message ceiling, as a user makes one: an MLP 4→13500→13500→3 on
// one worker holds 2.19 GB of parameters and Adadelta slots. `dtrain train` for 1 step checkpoints it
// (the shards travel from the worker in bounded pieces), `dtrain resume --steps 2` loads it back into a
// new worker (pieces the other way) and trains on; an uninterrupted 2-step run in the same section is
// the reference: the resumed step's loss must be bit-identical. Prints wall times, the checkpoint's
// size and the peak resident memory of the engine and of the worker (VmHWM).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { freemem, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { RunStore } from '../src/engine/store/index';
import type { BenchSection } from './section';

const BIN = resolve('bin/dtrain.mjs');
const NEEDS = 12 * 2 ** 30; // worker ~6 GB at its peak, the engine ~4.5 GB (measured)

const config = (steps: number) => ({
  model: {
    type: 'mlp',
    input: [4],
    layers: [
      { type: 'dense', units: 13500, activation: 'relu' },
      { type: 'dense', units: 13500, activation: 'relu' },
      { type: 'dense', units: 3 },
    ],
    loss: 'softmax_cross_entropy',
  },
  data: { kind: 'builtin', name: 'iris' },
  mesh: 'batch=1',
  optimizer: { learning_rate: 1.0 },
  steps,
  globalBatchSize: 8,
  seed: 1,
});

/** Peak resident memory of a live process in bytes (0 once it is gone). */
function peakRss(pid: number): number {
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) * 1024 : 0;
  } catch {
    return 0;
  }
}

async function dtrain(db: string, args: string[]) {
  const started = performance.now();
  const child = spawn(process.execPath, [BIN, ...args, '--db', db], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  const peaks = { engine: 0, worker: 0 };
  const poll = setInterval(() => {
    peaks.engine = Math.max(peaks.engine, peakRss(child.pid!));
    const worker = Number(/\[worker dev0 (\d+)\]/.exec(out)?.[1] ?? 0);
    if (worker) peaks.worker = Math.max(peaks.worker, peakRss(worker));
  }, 100);
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  clearInterval(poll);
  if (code !== 0) throw new Error(`dtrain ${args.join(' ')} exited ${code}:\n${out.slice(-2000)}`);
  return { seconds: (performance.now() - started) / 1000, out, peaks };
}

const gb = (n: number) => `${(n / 1e9).toFixed(2)} GB`;

export const largeCheckpointSection: BenchSection = {
  name: 'large-checkpoint',
  description: 'a 2.19 GB single-worker checkpoint (past the 2 GiB IPC ceiling): train, checkpoint, resume, vs uninterrupted',
  async run() {
    if (freemem() < NEEDS) {
      console.log(`skipped: needs ${gb(NEEDS)} of free memory, ${gb(freemem())} free`);
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), 'dtrain-large-'));
    try {
      const db = join(dir, 'large.db');
      writeFileSync(join(dir, 'one.json'), JSON.stringify(config(1)));
      writeFileSync(join(dir, 'two.json'), JSON.stringify(config(2)));
      const first = await dtrain(db, ['train', '--config', join(dir, 'one.json')]);
      const runId = /run (\S+) started/.exec(first.out)![1]!;
      const resumed = await dtrain(db, ['resume', runId, '--steps', '2']);
      const reference = await dtrain(db, ['train', '--config', join(dir, 'two.json')]);
      const refId = /run (\S+) started/.exec(reference.out)![1]!;
      const store = RunStore.open(db, { readonly: true });
      try {
        const [a, b] = [store.getMetrics(runId), store.getMetrics(refId)];
        const checkpoints = store.listCheckpoints(runId);
        console.log(`checkpoint of step 1: ${gb(checkpoints[0]?.bytes ?? 0)} (${checkpoints.length} kept)`);
        console.log(
          `train 1 step + checkpoint: ${first.seconds.toFixed(1)} s (engine peak ${gb(first.peaks.engine)}, worker peak ${gb(first.peaks.worker)})`,
        );
        console.log(
          `resume (load it) + 1 step + checkpoint: ${resumed.seconds.toFixed(1)} s (engine peak ${gb(resumed.peaks.engine)}, worker peak ${gb(resumed.peaks.worker)})`,
        );
        console.log(`uninterrupted 2 steps + checkpoint: ${reference.seconds.toFixed(1)} s`);
        const same = a.length === 2 && b.length === 2 && Object.is(a[1]!.loss, b[1]!.loss);
        console.log(`step-2 loss resumed ${a[1]?.loss} vs uninterrupted ${b[1]?.loss}: ${same ? 'bit-identical' : 'DIFFERENT'}`);
        if (!same) throw new Error('the resumed run did not continue bit-identically');
      } finally {
        store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
