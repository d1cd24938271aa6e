// `dtrain sweep` as a user runs it: a 6-trial grid finishes with every decision the halving rule
// (restated in the test) takes; a sweep SIGKILLed mid-way resumes without repeating a finished trial.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunStore } from '../../src/engine/store/index';
import { independentKeep } from '../core/sweeps/halving-reference';

const dir = mkdtempSync(join(tmpdir(), 'dtrain-sweep-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

const BASE = {
  model: {
    type: 'mlp',
    input: [4],
    layers: [
      { type: 'dense', units: 8, activation: 'relu' },
      { type: 'dense', units: 3 },
    ],
    loss: 'softmax_cross_entropy',
    metrics: ['accuracy'],
  },
  data: { kind: 'builtin', name: 'iris', validation: { fraction: 0.2 } },
  optimizer: { learning_rate: 1.0 },
  steps: 12,
  globalBatchSize: 24,
  seed: 2,
  evalEvery: 3,
};
writeFileSync(join(dir, 'base.json'), JSON.stringify(BASE));
writeFileSync(
  join(dir, 'space.json'),
  JSON.stringify({ 'optimizer.learning_rate': [0.01, 0.3, 1.0], 'optimizer.rho': [0.9, 0.95] }),
);

function dtrain(db: string, ...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/dtrain.mjs', ...args, '--db', db], { encoding: 'utf8', timeout: 240_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('a grid sweep of 6 trials finishes; show ranks them; pruning follows the rule', { timeout: 300_000 }, () => {
  const db = join(dir, 'grid.db');
  const r = dtrain(db, 'sweep', '--config', join(dir, 'base.json'), '--space', join(dir, 'space.json'));
  assert.equal(r.code, 0, r.err);
  const sweepId = /^sweep (\S+)\n/.exec(r.out)![1]!;
  const show = JSON.parse(dtrain(db, 'sweep', 'show', sweepId, '--json').out);
  assert.equal(show.status, 'completed');
  assert.equal(show.trials.length, 6);
  for (const t of show.trials) assert.ok(['completed', 'pruned'].includes(t.status), t.status);
  const values = show.trials.map((t: { objective: number }) => t.objective);
  assert.deepEqual(
    values,
    [...values].sort((a: number, b: number) => a - b),
    'ranked best first',
  );
  assert.equal(show.best.runId, show.trials[0].runId);
  const list = JSON.parse(dtrain(db, 'sweep', 'list', '--json').out);
  assert.deepEqual(
    list.map((s: { id: string; finishedCount: number }) => [s.id, s.finishedCount]),
    [[sweepId, 6]],
  );

  const store = RunStore.open(db, { readonly: true });
  try {
    const rungs = store.rungRecords(sweepId);
    assert.ok(rungs.length >= 6, 'every trial reached rung 0');
    for (const rec of rungs) {
      const earlier = rungs.filter((o) => o.rung === rec.rung && o.seq < rec.seq).map((o) => o.value);
      assert.equal(rec.kept, independentKeep(rec.value, earlier, 3, 'min'), `trial #${rec.trialIndex} at rung ${rec.rung}`);
    }
    const pruned = new Set(rungs.filter((x) => !x.kept).map((x) => x.trialIndex));
    assert.deepEqual(
      new Set(show.trials.filter((t: { status: string }) => t.status === 'pruned').map((t: { index: number }) => t.index)),
      pruned,
    );
    for (const t of show.trials) {
      const run = store.getRun(t.runId);
      if (t.status === 'pruned')
        assert.ok(
          run.step < 12 && /pruned at step \d+ by successive halving/.test(run.stopReason ?? ''),
          `${run.step} ${run.stopReason}`,
        );
      else assert.equal(run.step, 12);
    }
  } finally {
    store.close();
  }
});

test('a SIGKILLed sweep resumes without repeating a finished trial', { timeout: 300_000 }, async () => {
  const db = join(dir, 'kill.db');
  // Killed once two trials have finished (trials run in parallel, one per device).
  const child = spawn(
    process.execPath,
    [
      'bin/dtrain.mjs',
      'sweep',
      '--config',
      join(dir, 'base.json'),
      '--space',
      join(dir, 'space.json'),
      '--min-evals',
      '100',
      '--db',
      db,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  await new Promise<void>((resolve) =>
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if ((out.match(/^trial #/gm) ?? []).length >= 2) resolve();
    }),
  );
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('exit', resolve));
  const sweepId = /^sweep (\S+)\n/.exec(out)![1]!;
  const store = RunStore.open(db, { readonly: true });
  const before = store
    .getSweep(sweepId)
    .trials.filter((t) => t.runStatus === 'completed')
    .map((t) => ({ index: t.index, runId: t.runId, step: t.runStep }));
  store.close();
  assert.ok(before.length >= 1 && before.length < 6, `${before.length} trials finished before the kill`);

  const r = dtrain(db, 'sweep', 'resume', sweepId);
  assert.equal(r.code, 0, r.err);
  const after = RunStore.open(db, { readonly: true });
  try {
    const sweep = after.getSweep(sweepId);
    assert.equal(sweep.status, 'completed');
    assert.ok(
      sweep.trials.every((t) => t.runStatus === 'completed' && t.runStep === 12),
      'no rung within 4 evaluations: every trial completes',
    );
    for (const b of before) {
      const t = sweep.trials[b.index]!;
      assert.equal(t.runId, b.runId, `trial #${b.index} keeps its run`);
      assert.equal(after.getMetrics(t.runId!).length, 12, `trial #${b.index} was not trained again`);
      assert.ok(!r.out.includes(`run ${b.runId} `), `trial #${b.index} is not reported again`);
    }
    assert.equal(new Set(sweep.trials.map((t) => t.runId)).size, 6);
    assert.equal(after.listRuns().length, 6, 'no trial got a second run');
  } finally {
    after.close();
  }
});
