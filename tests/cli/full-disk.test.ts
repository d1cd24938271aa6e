// A full disk during training: the database lives on a small tmpfs that checkpoints fill. The CLI
// must end with one line naming the full disk (no stack trace), exit non-zero, shut the workers down,
// and leave the run failed (or, when not even that fits, read as interrupted): never `running`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isAlive, waitUntil } from '../helpers/process';

const CONFIG = {
  model: {
    type: 'mlp',
    input: [4],
    layers: [
      { type: 'dense', units: 2048, activation: 'relu' },
      { type: 'dense', units: 3 },
    ],
    loss: 'softmax_cross_entropy',
  },
  data: { kind: 'builtin', name: 'iris' },
  mesh: 'batch=2',
  layouts: { 'dense.*kernel': ['batch', 'unsharded'] },
  optimizer: { learning_rate: 0.5 },
  steps: 100_000,
  globalBatchSize: 16,
  seed: 1,
  checkpointEvery: 5,
  keepCheckpoints: 100_000,
};

/** Mounts a tmpfs of `size`; null (with the reason) when this machine does not allow it. */
function mountTmpfs(dir: string, size: string): string | null {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return 'mounting a small tmpfs needs root on Linux';
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { encoding: 'utf8' });
  return r.status === 0 ? null : `cannot mount a tmpfs: ${(r.stderr || r.error?.message || '').trim()}`;
}

function run(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/dtrain.mjs', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

test(
  'a disk that fills during training: one line, a non-zero exit, workers gone, the run not running',
  { timeout: 240_000 },
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'dtrain-full-'));
    const mount = join(dir, 'disk');
    mkdirSync(mount);
    const refused = mountTmpfs(mount, '4m');
    if (refused) {
      rmSync(dir, { recursive: true, force: true });
      console.log(`skipping: ${refused}`);
      return t.skip(refused);
    }
    try {
      const configPath = join(dir, 'run.json');
      writeFileSync(configPath, JSON.stringify(CONFIG));
      const db = join(mount, 'full.db');
      const train = await run(['train', '--config', configPath, '--db', db]);
      const all = `${train.out}\n${train.err}`;
      assert.equal(train.code, 1, all);
      assert.doesNotMatch(all, /^\s+at /m, 'no stack trace');
      const lines = train.out.trim().split('\n');
      const runId = /run (\S+) started/.exec(train.out)?.[1];
      assert.ok(runId, train.out);
      assert.match(lines.at(-1)!, new RegExp(`^run ${runId} failed at step \\d+: Database ${db} cannot grow: the disk is full`));
      assert.equal(lines.filter((l) => /disk is full/.test(l)).length, 1, 'one line on stdout says what happened');

      const workerPids = [...train.err.matchAll(/\[worker dev\d+ (\d+)\]/g)].map((m) => Number(m[1]));
      assert.equal(workerPids.length, 2, train.err);
      assert.ok(await waitUntil(() => workerPids.every((pid) => !isAlive(pid)), 10_000), `workers ${workerPids} still alive`);

      const runs = await run(['runs', '--db', db]);
      assert.equal(runs.code, 0, runs.err);
      const row = runs.out.split('\n').find((l) => l.startsWith(runId!));
      assert.ok(row, runs.out);
      const status = row!
        .split(/\s+/)
        .find((w) => ['running', 'failed', 'paused', 'interrupted', 'completed', 'stopped'].includes(w));
      console.log(`status after the full disk: ${status}`);
      // `interrupted` is how a run whose status could not be written reads once its process is gone.
      assert.ok(status === 'failed' || status === 'interrupted', `status ${status}: ${row}`);
    } finally {
      spawnSync('umount', [mount]);
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
