// SIGKILL of the coordinator (the dtrain process) at random moments, mid-checkpoint included: every
// time the database opens, passes integrity_check, its newest checkpoint verifies, the orphaned
// workers exit by themselves, and the run finally resumes to completion. (The store's own stress
// test kills a checkpoint writer 50+ times; this one kills the real coordinator.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunStore } from '../../src/engine/store/index';
import { readdirSync } from 'node:fs';
import { isAlive as alive, waitUntil } from '../helpers/process';
import { seededRandom, testSeed } from '../helpers/seed';

const TRIALS = 6;
const dir = mkdtempSync(join(tmpdir(), 'dtrain-kill-'));
const db = join(dir, 'kill.db');
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

const CONFIG = {
  model: {
    type: 'mlp',
    input: [4],
    layers: [
      { type: 'dense', units: 64, activation: 'relu' },
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
  seed: 1,
  checkpointEvery: 3,
  keepCheckpoints: 2,
};

/** Starts `dtrain ...args`, resolves with the process and the worker pids once `ready` matched stdout. */
function start(args: string[]) {
  const child = spawn(process.execPath, ['bin/dtrain.mjs', ...args], {
    env: { ...process.env, DTRAIN_DB: db },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const workerPids = () => [...err.matchAll(/\[worker dev\d+ (\d+)\]/g)].map((m) => Number(m[1]));
  return { child, out: () => out, workerPids };
}

test(
  `coordinator SIGKILLed ${TRIALS} times at random moments: the database survives and the run resumes`,
  { timeout: 300_000 },
  async () => {
    const configPath = join(dir, 'run.json');
    writeFileSync(configPath, JSON.stringify(CONFIG));
    let runId = '';
    const random = seededRandom(testSeed('coordinator kill moments'));
    const killed: number[] = [];
    for (let trial = 0; trial < TRIALS; trial++) {
      const args = trial === 0 ? ['train', '--config', configPath] : ['resume', runId];
      const p = start(args);
      const deadline = Date.now() + 60_000;
      while (p.workerPids().length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      if (!runId) runId = /run (\S+) started/.exec(p.out())?.[1] ?? '';
      // Some trials die before the first step, most while training and checkpointing every 3 steps.
      await new Promise((r) => setTimeout(r, 200 + random() * 2500));
      killed.push(p.child.pid!);
      p.child.kill('SIGKILL');
      await new Promise((r) => p.child.once('exit', r));
      const workers = p.workerPids();
      await waitUntil(() => !workers.some(alive), 10_000);
      assert.deepEqual(workers.filter(alive), [], `trial ${trial}: orphaned workers exit by themselves`);

      const store = RunStore.open(db, { readonly: true });
      try {
        assert.deepEqual(store.integrityCheck(), ['ok'], `trial ${trial}: integrity_check`);
        if (!runId) runId = store.listRuns()[0]!.id;
        const { checkpoint } = store.latestValidCheckpoint(runId);
        if (checkpoint) assert.ok(checkpoint.tensors.length > 0);
        // A killed coordinator's run no longer reads as running (nobody trains it); resume continues it.
        const listed = JSON.parse(
          spawnSync(process.execPath, ['bin/dtrain.mjs', 'runs', '--json'], {
            env: { ...process.env, DTRAIN_DB: db },
            encoding: 'utf8',
          }).stdout,
        ) as { id: string; status: string }[];
        const status = listed.find((r) => r.id === runId)?.status;
        if (status !== undefined) assert.ok(status === 'interrupted' || status === 'created', `trial ${trial}: status ${status}`);
      } finally {
        store.close();
      }
    }
    const store = RunStore.open(db, { readonly: true });
    const step = store.latestValidCheckpoint(runId).checkpoint?.step ?? 0;
    store.close();
    const done = spawnSync(process.execPath, ['bin/dtrain.mjs', 'resume', runId, '--steps', String(step + 6)], {
      env: { ...process.env, DTRAIN_DB: db },
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.equal(done.status, 0, done.stderr);
    assert.match(done.stdout, new RegExp(`run ${runId} completed at step ${step + 6}`));
    // Socket folders of the killed coordinators are gone (removed by their orphaned workers, or swept
    // by the next dtrain when the kill came before the workers joined the ring).
    const left = readdirSync(tmpdir()).filter((n) => killed.some((pid) => n.startsWith(`dt-${pid}-`)));
    assert.deepEqual(left, []);
  },
);
