// Issue 10: Ctrl-C typed into a real terminal (a pty) while `dtrain sweep` runs pauses the sweep: the
// running trial's run pauses with a checkpoint at the step reached, no trial starts after the Ctrl-C,
// and `dtrain sweep resume ID` finishes the sweep without running a finished trial again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { RunStore } from '../../src/engine/store/index';
import { waitUntil } from '../helpers/process';

const BIN = resolve('bin/dtrain.mjs');
const PTY = resolve('tests/cli/fixtures/pty-drive.py');
const python = ['python3', 'python'].find((p) => spawnSync(p, ['-c', 'import pty'], { stdio: 'ignore' }).status === 0);
const skip = python ? false : 'needs python3 (its pty module drives a pseudo-terminal)';

const dir = mkdtempSync(join(tmpdir(), 'dtrain-sweep-ctrlc-'));
const db = join(dir, 'sweep.db');
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const STEPS = 400;
writeFileSync(
  join(dir, 'base.json'),
  JSON.stringify({
    model: {
      type: 'mlp',
      input: [4],
      layers: [
        { type: 'dense', units: 8, activation: 'relu' },
        { type: 'dense', units: 3 },
      ],
      loss: 'softmax_cross_entropy',
    },
    data: { kind: 'builtin', name: 'iris', validation: { fraction: 0.2 } },
    optimizer: { learning_rate: 1.0 },
    steps: STEPS,
    globalBatchSize: 24,
    seed: 4,
    evalEvery: 100,
    checkpointEvery: 100,
  }),
);
writeFileSync(join(dir, 'space.json'), JSON.stringify({ 'optimizer.learning_rate': [1.0, 0.5, 0.2] }));

function sweepRecord(sweepId: string) {
  const store = RunStore.open(db, { readonly: true });
  try {
    const sweep = store.getSweep(sweepId);
    const runs = new Map(
      sweep.trials
        .filter((t) => t.runId)
        .map((t) => [
          t.runId!,
          {
            ...store.getRun(t.runId!),
            checkpointSteps: store.listCheckpoints(t.runId!).map((c) => c.step),
            points: store.getMetrics(t.runId!).length,
          },
        ]),
    );
    return { sweep, runs };
  } finally {
    store.close();
  }
}

const finished = (status: string | null) => status === 'completed' || status === 'stopped';

test(
  'Ctrl-C pauses a sweep; sweep resume finishes it without repeating a finished trial',
  { skip, timeout: 480_000 },
  async () => {
    // Two devices per trial on this 2-core machine: the trials run one after another.
    const child = spawn(
      python!,
      [
        PTY,
        process.execPath,
        BIN,
        'sweep',
        '--config',
        join(dir, 'base.json'),
        '--space',
        join(dir, 'space.json'),
        '--devices-per-trial',
        '2',
        '--cpu',
        '--db',
        db,
      ],
      {
        env: { ...process.env, DTRAIN_WATCHDOG_SECONDS: '900' },
        stdio: ['pipe', 'pipe', 'inherit'],
      },
    );
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    const exited = new Promise<number>((r) => child.once('exit', () => r(Number(/__EXIT__ (-?\d+)/.exec(out)?.[1] ?? NaN))));
    assert.ok(await waitUntil(() => /sweep (\S+)\r?\n/.test(out), 60_000), out);
    const sweepId = /sweep (\S+)\r?\n/.exec(out)![1]!;

    // Wait for a finished trial and the next one part-way through its steps.
    let lastPoll = 0;
    const midTrial = () => {
      if (Date.now() - lastPoll < 250) return false;
      lastPoll = Date.now();
      const { sweep } = sweepRecord(sweepId);
      return (
        sweep.trials.some((t) => finished(t.runStatus)) &&
        sweep.trials.some((t) => t.runStatus === 'running' && (t.runStep ?? 0) >= 20)
      );
    };
    assert.ok(await waitUntil(midTrial, 300_000), `no trial mid-way: ${out.slice(-500)}`);
    const before = sweepRecord(sweepId);
    child.stdin.write('C');
    assert.equal(await exited, 0, out);
    assert.match(out, new RegExp(`sweep ${sweepId} paused; continue with: dtrain sweep resume ${sweepId}`));

    const show = JSON.parse(
      spawnSync(process.execPath, [BIN, 'sweep', 'show', sweepId, '--json', '--db', db], { encoding: 'utf8' }).stdout,
    ) as { status: string };
    assert.equal(show.status, 'paused');
    const paused = sweepRecord(sweepId);
    const startedBefore = before.sweep.trials.filter((t) => t.runId).map((t) => t.index);
    assert.deepEqual(
      paused.sweep.trials.filter((t) => t.runId).map((t) => t.index),
      startedBefore,
      'no trial started after the Ctrl-C',
    );
    const wasRunning = before.sweep.trials.find((t) => t.runStatus === 'running')!;
    const run = paused.runs.get(wasRunning.runId!)!;
    assert.equal(run.status, 'paused', `${run.status}: ${run.error}`);
    assert.ok(run.step > 0 && run.step < STEPS, `paused at step ${run.step}`);
    assert.ok(run.checkpointSteps.includes(run.step), `a checkpoint at the step reached (${run.step}): ${run.checkpointSteps}`);

    const doneBefore = paused.sweep.trials.filter((t) => finished(t.runStatus));
    assert.ok(doneBefore.length >= 1);
    const resumed = spawnSync(process.execPath, [BIN, 'sweep', 'resume', sweepId, '--cpu', '--db', db], {
      encoding: 'utf8',
      timeout: 300_000,
    });
    assert.equal(resumed.status, 0, resumed.stderr);
    const end = sweepRecord(sweepId);
    assert.equal(end.sweep.status, 'completed');
    assert.equal(end.sweep.trials.length, 3);
    for (const t of end.sweep.trials) assert.ok(finished(t.runStatus), `trial #${t.index}: ${t.runStatus}`);
    for (const t of doneBefore) {
      const a = paused.runs.get(t.runId!)!;
      const b = end.runs.get(end.sweep.trials.find((x) => x.index === t.index)!.runId!)!;
      assert.equal(b.id, a.id, `trial #${t.index} keeps its run`);
      assert.deepEqual([b.step, b.points, b.updatedAt], [a.step, a.points, a.updatedAt], `trial #${t.index} was not run again`);
    }
    // The paused trial went on from its checkpoint in the same run.
    const cont = end.runs.get(wasRunning.runId!)!;
    assert.ok(cont.step > run.step, `trial #${wasRunning.index} continued from step ${run.step} to ${cont.step}`);
  },
);
