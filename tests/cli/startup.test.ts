// Issue 24 item 2: a worker that stalls before its first step hung everything. The stall watchdog and
// a second Ctrl-C now cover start-up too, and a folder path under /proc no longer sends Node's
// recursive mkdir into an endless loop. Driven as a user meets it: `dtrain train` in a real terminal,
// a worker stopped with SIGSTOP. (A coordinator's death during a worker's synchronous work:
// tests/workers/lifeline.test.ts.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { RunStore } from '../../src/engine/store/index';
import { isAlive, waitUntil } from '../helpers/process';
import { inTerminal, noPty } from './terminal';
import { irisMlp } from '../helpers/iris';

const dir = mkdtempSync(join(tmpdir(), 'dtrain-startup-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

const iris = (extra: object = {}) => {
  const path = join(dir, `iris-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(
    path,
    JSON.stringify({
      ...irisMlp(16),
      mesh: 'batch=2',
      optimizer: { learning_rate: 0.5 },
      steps: 1_000_000,
      globalBatchSize: 16,
      seed: 3,
      ...extra,
    }),
  );
  return path;
};

function runOf(db: string, out: string) {
  const runId = /run (\S+) started/.exec(out)?.[1];
  assert.ok(runId, out);
  const store = RunStore.open(db, { readonly: true });
  try {
    return store.getRun(runId);
  } finally {
    store.close();
  }
}

/** Waits for the first worker process to exist, then SIGSTOPs it 0.2 s later (it is still loading). */
async function stopFirstWorkerEarly(t: ReturnType<typeof inTerminal>): Promise<number[]> {
  assert.ok(await waitUntil(() => t.workerPids().length > 0, 60_000), `no worker started: ${t.out()}`);
  await new Promise((r) => setTimeout(r, 200));
  const stopped = t.workerPids()[0]!;
  process.kill(stopped, 'SIGSTOP');
  await waitUntil(() => t.workerPids().length === 2, 10_000);
  return t.workerPids();
}

test(
  'a worker stopped 0.2 s after it was started is found by the watchdog; the run fails and every worker goes',
  { skip: noPty, timeout: 180_000 },
  async () => {
    const db = join(dir, 'watchdog.db');
    const t = inTerminal(['train', '--config', iris()], { DTRAIN_DB: db, DTRAIN_WATCHDOG_SECONDS: '5' });
    const workers = await stopFirstWorkerEarly(t);
    assert.equal(await t.exited, 1, t.out());
    assert.match(t.out(), /device \d worker made no progress for \d+ s while starting \(stalled\); the run was stopped/);
    const run = runOf(db, t.out());
    assert.equal(run.status, 'failed');
    assert.equal(run.step, 0);
    assert.ok(await waitUntil(() => workers.every((p) => !isAlive(p)), 10_000), 'every worker is gone, the stopped one too');
  },
);

test(
  'two Ctrl-C while a worker is stopped during start-up kill the workers; the run ends stopped',
  { skip: noPty, timeout: 180_000 },
  async () => {
    const db = join(dir, 'ctrlc.db');
    const t = inTerminal(['train', '--config', iris()], { DTRAIN_DB: db, DTRAIN_WATCHDOG_SECONDS: '900' });
    const workers = await stopFirstWorkerEarly(t);
    assert.ok(await waitUntil(() => /run \S+ started/.test(t.out()), 60_000), t.out());
    t.typeCtrlC();
    assert.ok(await waitUntil(() => /pausing after the current steps/.test(t.out()), 30_000), t.out());
    t.typeCtrlC();
    // The watchdog waits 900 s: only the second Ctrl-C can end this within the test's time.
    assert.equal(await t.exited, 0, t.out());
    const run = runOf(db, t.out());
    assert.equal(run.status, 'stopped', `${run.status}: ${run.error}`);
    assert.equal(run.step, 0);
    assert.match(t.out(), new RegExp(`run ${run.id} stopped at step 0; continue with: dtrain resume ${run.id}`));
    assert.ok(await waitUntil(() => workers.every((p) => !isAlive(p)), 10_000), 'every worker is gone, the stopped one too');
  },
);

/** An image folder of two classes: `copies` PNGs of `size`² pixels each (one encoded, then copied). */
function imageFolder(name: string, size: number, copies: number): string {
  const root = join(dir, name);
  const png = new PNG({ width: size, height: size });
  for (let i = 0; i < size * size; i++) {
    png.data[i * 4] = i % 251;
    png.data[i * 4 + 1] = (i >> 7) & 255;
    png.data[i * 4 + 2] = (i * 7) % 253;
    png.data[i * 4 + 3] = 255;
  }
  const first = join(dir, `${name}.png`);
  writeFileSync(first, PNG.sync.write(png));
  for (const cls of ['a', 'b']) {
    mkdirSync(join(root, cls), { recursive: true });
    for (let i = 0; i < copies; i++) copyFileSync(first, join(root, cls, `${i}.png`));
  }
  return root;
}

const imageRun = (path: string, steps: number) =>
  iris({
    model: {
      type: 'sequential',
      input: [8, 8, 1],
      layers: [{ type: 'flatten' }, { type: 'dense', units: 2 }],
      loss: 'softmax_cross_entropy',
    },
    data: { kind: 'images', path, size: [8, 8], channels: 1 },
    steps,
    globalBatchSize: 4,
  });

// Node's recursive mkdir never returns under /proc (ENOENT for the child, EEXIST for the parent, retried
// forever): the workers spun at 100% CPU and outlived a killed coordinator.
test('DTRAIN_CACHE_DIR under /proc: the image cache is skipped, the run trains and ends', { timeout: 180_000 }, async () => {
  const folder = imageFolder('tiny', 16, 4);
  const db = join(dir, 'proc.db');
  const { spawnSync } = await import('node:child_process');
  const r = spawnSync(process.execPath, ['bin/dtrain.mjs', 'train', '--config', imageRun(folder, 3), '--db', db], {
    env: { ...process.env, DTRAIN_CACHE_DIR: '/proc/dtrain-no-such-folder' },
    encoding: 'utf8',
    timeout: 150_000,
  });
  assert.equal(r.status, 0, `${r.error?.message ?? ''} ${r.stderr}`);
  assert.match(r.stdout, /run \S+ completed at step 3/);
});
