// What the CLI says, as a user reads it (issue 23, item 11 and the optimizer typo of item 10): a
// negative number for a number option, the runs table with a very long name, the workers' start
// lines, and a misspelt optimizer key in a run config and in a sweep space.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { RunStore } from '../../src/engine/store/index';
import { cliSandbox } from './cli-sandbox';

const { dir, db, dtrain } = cliSandbox('dtrain-messages-');

const CONFIG = {
  model: {
    type: 'mlp',
    input: [4],
    layers: [{ type: 'dense', units: 3 }],
    loss: 'softmax_cross_entropy',
  },
  data: { kind: 'builtin', name: 'iris' },
  mesh: 'batch=2',
  optimizer: { learning_rate: 1.0 },
  steps: 2,
  globalBatchSize: 16,
  seed: 0,
};
const write = (name: string, value: unknown): string => {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(value));
  return path;
};

test('--steps -3 is the option’s own message, not "argument is ambiguous"', () => {
  const r = dtrain('train', '--config', write('ok.json', CONFIG), '--steps', '-3');
  assert.equal(r.code, 2);
  assert.equal(r.err, "dtrain: error: --steps must be an integer ≥ 1 (got '-3')\n");
  assert.match(
    dtrain('train', '--config', write('ok2.json', CONFIG), '--batch', '-.5').err,
    /--batch must be an integer ≥ 1 \(got '-\.5'\)/,
  );
});

test('a misspelt optimizer key gets "did you mean", in a run config and in a sweep space', () => {
  const r = dtrain('train', '--config', write('typo.json', { ...CONFIG, optimizer: { learnin_rate: 1.0 } }));
  assert.equal(r.code, 2);
  assert.match(r.err, /optimizer\.learnin_rate: unknown key 'learnin_rate' \(did you mean 'learning_rate'\?\)/);
  assert.doesNotMatch(r.err, /kwargs/);
  const space = write('space.json', { 'optimizer.learnin_rate': [0.1, 1] });
  const s = dtrain('sweep', '--config', write('base.json', CONFIG), '--space', space);
  assert.equal(s.code, 2);
  assert.match(s.err, /optimizer\.learnin_rate: unknown key 'learnin_rate' \(did you mean 'learning_rate'\?\)/);
  assert.doesNotMatch(s.err, /kwargs/);
});

test(
  'the workers’ start lines are short; runs cuts a long name and --json keeps it with stopReason',
  { timeout: 120_000 },
  () => {
    const train = dtrain('train', '--config', write('two.json', CONFIG));
    assert.equal(train.code, 0, train.err);
    const workerLines = train.err.split('\n').filter((l) => l.startsWith('[worker'));
    assert.equal(workerLines.length, 2, train.err);
    for (const line of workerLines) {
      assert.ok(line.length <= 120, `${line.length} characters: ${line}`);
      assert.match(line, /^\[worker dev\d \d+\] (wasm|cpu|tensorflow); .*(host|tensor) storage/);
    }
    const long = `lr-sweep ${'with a very long descriptive name '.repeat(3)}end`;
    const store = RunStore.open(db);
    const id = store.createRun({ ...CONFIG, name: long } as never);
    store.updateRun(id, { status: 'completed', stopReason: 'early-stopped at step 60; best step 30 val_loss 0.2143' });
    store.close();
    const table = dtrain('runs');
    assert.equal(table.code, 0);
    const row = table.out.split('\n').find((l) => l.startsWith(id))!;
    assert.ok(row.includes('lr-sweep with a very long descriptive n…'), row);
    assert.ok(Math.max(...table.out.split('\n').map((l) => l.length)) < 120, table.out);
    const json = JSON.parse(dtrain('runs', '--json').out) as { id: string; name: string; stopReason?: string | null }[];
    const mine = json.find((r) => r.id === id)!;
    assert.equal(mine.name, long);
    assert.equal(mine.stopReason, 'early-stopped at step 60; best step 30 val_loss 0.2143');
    assert.equal(json.find((r) => r.id !== id)!.stopReason, null, 'runs that did not stop early say null');
  },
);
