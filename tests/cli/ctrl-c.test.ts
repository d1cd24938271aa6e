// Issue 11 items 1 and 8: Ctrl-C typed into a real terminal (a pty; the terminal signals the whole
// foreground process group) pauses the run with a checkpoint at the step reached, and resume goes on;
// a second Ctrl-C kills the workers at once, even one that is SIGSTOPped, without the stall watchdog.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { RunStore } from '../../src/engine/store/index';
import { isAlive, waitUntil } from '../helpers/process';

const BIN = resolve('bin/dtrain.mjs');
const PTY = resolve('tests/cli/fixtures/pty-drive.py');
const python = ['python3', 'python'].find((p) => spawnSync(p, ['-c', 'import pty'], { stdio: 'ignore' }).status === 0);
const skip = python ? false : 'needs python3 (its pty module drives a pseudo-terminal)';

const dir = mkdtempSync(join(tmpdir(), 'dtrain-ctrlc-'));
const db = join(dir, 'ctrlc.db');
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const config = join(dir, 'long.json');
writeFileSync(
  config,
  JSON.stringify({
    model: {
      type: 'mlp',
      input: [4],
      layers: [
        { type: 'dense', units: 16, activation: 'relu' },
        { type: 'dense', units: 3 },
      ],
      loss: 'softmax_cross_entropy',
    },
    data: { kind: 'builtin', name: 'iris' },
    mesh: 'batch=2',
    layouts: { 'dense.*kernel': ['batch', 'unsharded'] },
    optimizer: { learning_rate: 0.5 },
    steps: 1_000_000,
    globalBatchSize: 16,
    seed: 3,
    checkpointEvery: 50,
    keepCheckpoints: 3,
  }),
);

/** `dtrain ...args` in a pty; `typeCtrlC()` types one Ctrl-C into its terminal. */
function inTerminal(args: string[]) {
  const child = spawn(python!, [PTY, process.execPath, BIN, ...args], {
    env: { ...process.env, DTRAIN_DB: db, DTRAIN_WATCHDOG_SECONDS: '900' },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let out = '';
  // Keys typed after the terminal closed (the last test types until the process is gone) go nowhere.
  child.stdin.on('error', () => undefined);
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<number>((r) => child.once('exit', () => r(Number(/__EXIT__ (-?\d+)/.exec(out)?.[1] ?? NaN))));
  return {
    out: () => out,
    step: () => Math.max(0, ...[...out.matchAll(/step (\d+)\//g)].map((m) => Number(m[1]))),
    workerPids: () => [...out.matchAll(/\[worker dev\d+ (\d+)\]/g)].map((m) => Number(m[1])),
    typeCtrlC: () => child.stdin.write('C'),
    exited,
  };
}

function runState(runId: string) {
  const store = RunStore.open(db, { readonly: true });
  try {
    return { run: store.getRun(runId), checkpoints: store.listCheckpoints(runId).map((c) => c.step) };
  } finally {
    store.close();
  }
}

test(
  'Ctrl-C in a terminal pauses the run at a checkpoint of the step reached, and resume continues',
  { skip, timeout: 240_000 },
  async () => {
    const t = inTerminal(['train', '--config', config]);
    assert.ok(await waitUntil(() => t.step() >= 12, 120_000), `trained: ${t.out().slice(-300)}`);
    t.typeCtrlC();
    assert.equal(await t.exited, 0, t.out());
    const runId = /run (\S+) started/.exec(t.out())![1]!;
    const { run, checkpoints } = runState(runId);
    assert.equal(run.status, 'paused', `${run.status}: ${run.error}`);
    assert.equal(run.error, null);
    assert.ok(run.step >= 12 && run.step < 50, `paused at ${run.step}, before the first scheduled checkpoint`);
    assert.deepEqual(checkpoints, [run.step], 'one checkpoint, at the step reached');
    assert.match(t.out(), new RegExp(`run ${runId} paused at step ${run.step}; continue with: dtrain resume ${runId}`));
    assert.ok(t.workerPids().length === 2 && t.workerPids().every((p) => !isAlive(p)), 'the workers exited with the run');

    const resumed = spawnSync(process.execPath, [BIN, 'resume', runId, '--steps', String(run.step + 5)], {
      env: { ...process.env, DTRAIN_DB: db },
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.equal(resumed.status, 0, resumed.stderr);
    assert.match(resumed.stdout, new RegExp(`resuming from step ${run.step}\\n`));
    assert.match(resumed.stdout, new RegExp(`completed at step ${run.step + 5}`));
  },
);

test(
  'a second Ctrl-C kills the workers at once, even a SIGSTOPped one; the run ends stopped',
  { skip, timeout: 240_000 },
  async () => {
    const t = inTerminal(['train', '--config', config]);
    // Past the checkpoint at step 50: the stopped run stands there, not at the step the workers reached.
    assert.ok(await waitUntil(() => t.step() >= 55, 120_000), `trained: ${t.out().slice(-300)}`);
    const workers = t.workerPids();
    assert.equal(workers.length, 2);
    process.kill(workers[1]!, 'SIGSTOP'); // the pause can never finish its chunk now
    t.typeCtrlC();
    assert.ok(await waitUntil(() => /pausing after the current steps/.test(t.out()), 30_000));
    t.typeCtrlC();
    // The watchdog is set to 900 s: only the second Ctrl-C can end this run within the test's timeout.
    assert.equal(await t.exited, 0, t.out());
    const runId = /run (\S+) started/.exec(t.out())![1]!;
    const { run } = runState(runId);
    assert.equal(run.status, 'stopped', `${run.status}: ${run.error}`);
    assert.equal(run.error, null);
    assert.ok(await waitUntil(() => workers.every((p) => !isAlive(p)), 10_000), 'every worker is gone, the stopped one too');
    // Issue 24 item 9: "stopped at step 25" was printed while resume started from 20. The run is
    // rewound to its newest checkpoint, and the line says where a resume goes on.
    const newest = Math.max(...runState(runId).checkpoints);
    assert.ok(newest >= 50, `a checkpoint at ${newest}`);
    assert.equal(run.step, newest);
    assert.match(t.out(), new RegExp(`run ${runId} stopped at step ${newest}; continue with: dtrain resume ${runId}`));
    const resumed = spawnSync(process.execPath, [BIN, 'resume', runId, '--steps', String(newest + 2)], {
      env: { ...process.env, DTRAIN_DB: db },
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.equal(resumed.status, 0, resumed.stderr);
    assert.match(resumed.stdout, new RegExp(`resuming from step ${newest}\\n`));
  },
);

test(
  'Ctrl-C typed while the paused CLI is finishing does not turn its clean exit into 130',
  { skip, timeout: 240_000 },
  async () => {
    // Issue 24 item 9: Node's teardown closed the SIGINT handles before the process was gone, so a
    // Ctrl-C in that window got the default action and the shell saw 130 for a run that had paused.
    const t = inTerminal(['train', '--config', config]);
    assert.ok(await waitUntil(() => t.step() >= 12, 120_000), `trained: ${t.out().slice(-300)}`);
    t.typeCtrlC();
    assert.ok(await waitUntil(() => /paused at step \d+/.test(t.out()), 60_000), `paused: ${t.out().slice(-300)}`);
    // From the "paused" line until the process is gone, a Ctrl-C every 2 ms: each window is hit.
    const typing = setInterval(t.typeCtrlC, 2);
    const code = await t.exited;
    clearInterval(typing);
    assert.equal(code, 0, t.out().slice(-400));
    const runId = /run (\S+) started/.exec(t.out())![1]!;
    assert.equal(runState(runId).run.status, 'paused');
  },
);
