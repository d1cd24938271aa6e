// Issue 24 items 3 and 4, as a user meets them. A dtrain killed in a container with another hostname
// (`unshare -u`) used to leave a lease that bound forever: its run read `running` and could never be
// resumed. Two `dtrain sweep resume ID` at once trained the same trials twice. Leases now carry a
// heartbeat that goes stale, and a sweep has a lease like a run's (docs/architecture.md, Leases).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { RunStore } from '../../src/engine/store/index';
import { createTrainerService } from '../../src/engine/service/index';
import { waitUntil } from '../helpers/process';
import { irisMlp } from '../helpers/iris';

const dir = mkdtempSync(join(tmpdir(), 'dtrain-leases-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const BIN = resolve('bin/dtrain.mjs');

const iris = irisMlp(8, { metrics: ['accuracy'] });
const IRIS = {
  ...iris,
  data: { ...iris.data, validation: { fraction: 0.2 } },
  optimizer: { learning_rate: 1.0 },
  globalBatchSize: 24,
  seed: 2,
};

function dtrain(db: string, env: NodeJS.ProcessEnv, ...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args, '--db', db], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 240_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function withStore<T>(db: string, fn: (s: RunStore) => T): T {
  const store = RunStore.open(db, { readonly: true });
  try {
    return fn(store);
  } finally {
    store.close();
  }
}

const canUnshare = spawnSync('unshare', ['-u', '-r', 'hostname', 'probe'], { stdio: 'ignore' }).status === 0;

test(
  'a run killed on another host is refused while its lease is fresh, and resumes once it has expired',
  {
    skip: canUnshare ? false : 'needs `unshare -u -r` (a user and UTS namespace) to run dtrain under another hostname',
    timeout: 240_000,
  },
  async (t) => {
    const db = join(dir, 'host.db');
    const config = join(dir, 'long.json');
    writeFileSync(config, JSON.stringify({ ...IRIS, mesh: 'batch=2', steps: 1_000_000, checkpointEvery: 10 }));
    // dtrain under the hostname box-a, its lease (and heartbeat every 2 s) lasting 6 s.
    const child = spawn(
      'unshare',
      [
        '-u',
        '-r',
        'sh',
        '-c',
        'hostname box-a && exec "$0" "$@"',
        process.execPath,
        BIN,
        'train',
        '--config',
        config,
        '--db',
        db,
      ],
      { env: { ...process.env, DTRAIN_LEASE_SECONDS: '6' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
    t.after(() => void child.kill('SIGKILL')); // a failed assertion must not leave it training
    assert.ok(await waitUntil(() => /run \S+ started/.test(out), 60_000), out);
    const runId = /run (\S+) started/.exec(out)![1]!;
    assert.ok(await waitUntil(() => withStore(db, (s) => s.listCheckpoints(runId).length >= 2), 60_000), out);
    const lease = withStore(db, (s) => s.runLease(runId));
    assert.equal(lease?.host, 'box-a');
    assert.ok(lease.heartbeatAt !== null && lease.expiresAt! - lease.heartbeatAt === 6000, JSON.stringify(lease));
    child.kill('SIGKILL');
    const killedAt = Date.now();
    await new Promise((r) => child.once('exit', r));

    // Just killed: the lease binds (box-a's process cannot be checked from here), and says so.
    const early = dtrain(db, {}, 'resume', runId);
    assert.ok(Date.now() - killedAt < 6000, 'the first resume came before the lease expired');
    assert.equal(early.code, 1, early.err);
    assert.match(
      early.err,
      new RegExp(
        `run ${runId} is being trained by another dtrain process \\(pid ${lease.pid} on box-a, last seen \\d+ s ago\\);.*resume with --take-over`,
      ),
    );
    assert.equal(
      withStore(db, (s) => s.getRun(runId).status),
      'running',
      'nothing was written',
    );

    // Expired: a plain resume takes it over and trains on from the newest checkpoint.
    await new Promise((r) => setTimeout(r, Math.max(0, killedAt + 6500 - Date.now())));
    const step = withStore(db, (s) => s.listCheckpoints(runId).at(-1)!.step);
    // The run's row had counted steps past that checkpoint when it was killed; --steps is a total above it.
    const total =
      Math.max(
        step,
        withStore(db, (s) => s.getRun(runId).step),
      ) + 5;
    const later = dtrain(db, {}, 'resume', runId, '--steps', String(total));
    assert.equal(later.code, 0, later.err);
    assert.match(later.out, new RegExp(`run ${runId} resuming from step ${step}\\n`));
    assert.match(later.out, new RegExp(`run ${runId} completed at step ${total}`));
    assert.equal(
      withStore(db, (s) => s.runLease(runId)),
      null,
      'the lease was given back',
    );
  },
);

test(
  'two `sweep resume` at once: one runs the trials, the other is refused; no trial runs twice',
  { timeout: 300_000 },
  async () => {
    const db = join(dir, 'sweep.db');
    const service = await createTrainerService({ dbPath: db, processHost: 'node', workerEntry: 'unused' });
    const { sweepId } = await service.createSweep({
      baseConfig: { ...IRIS, mesh: 'batch=1', steps: 9, evalEvery: 3 } as never,
      space: { 'optimizer.learning_rate': [0.05, 0.3, 1.0, 2.0] },
      name: 'race',
    });
    await service.shutdown();
    const resume = () =>
      new Promise<{ code: number | null; out: string; err: string }>((done) => {
        const c = spawn(process.execPath, [BIN, 'sweep', 'resume', sweepId, '--db', db], { stdio: ['ignore', 'pipe', 'pipe'] });
        let [out, err] = ['', ''];
        c.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
        c.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
        c.once('exit', (code) => done({ code, out, err }));
      });
    const results = await Promise.all([resume(), resume()]);
    const ran = results.filter((r) => r.code === 0);
    const refused = results.filter((r) => r.code !== 0);
    assert.equal(ran.length, 1, JSON.stringify(results));
    assert.equal(refused.length, 1, JSON.stringify(results));
    assert.equal(refused[0]!.code, 1);
    assert.match(refused[0]!.err, new RegExp(`sweep ${sweepId} is being run by another dtrain process \\(pid \\d+ on `));
    const { trials, runs } = withStore(db, (s) => ({ trials: s.getSweep(sweepId).trials, runs: s.listRuns() }));
    assert.equal(runs.length, 4, 'one run per trial');
    assert.deepEqual(new Set(trials.map((t) => t.runId)).size, 4, 'each trial linked to its own run');
    assert.ok(
      runs.every((r) => trials.some((t) => t.runId === r.id)),
      'no unlinked extra run',
    );
    assert.equal(
      withStore(db, (s) => s.getSweep(sweepId).status),
      'completed',
    );
  },
);
