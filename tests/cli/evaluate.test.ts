// `dtrain evaluate` as a user runs it: held-out figures from the CLI equal those the run recorded,
// another data source can be given, and bad input is one line with exit code 2.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RunStore } from '../../src/engine/store/index';
import { cliSandbox } from './cli-sandbox';

const { dir, db, dtrain } = cliSandbox('dtrain-eval-');

const CONFIG = {
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
  optimizer: { learning_rate: 1.0, rho: 0.95, epsilon: 1e-6 },
  steps: 12,
  globalBatchSize: 24,
  seed: 3,
  checkpointEvery: 6,
};

test(
  'train with data.validation shows val_* on the progress line; evaluate prints the recorded figures',
  { timeout: 180_000 },
  () => {
    const configPath = join(dir, 'run.json');
    writeFileSync(configPath, JSON.stringify(CONFIG));
    const train = dtrain('train', '--config', configPath, '--devices', '2');
    assert.equal(train.code, 0, train.err);
    assert.match(train.out, /val_loss \d\.\d{4} val_accuracy \d\.\d{4}/);
    const runId = /run (\S+) started/.exec(train.out)![1]!;
    // Off a terminal each step is printed once; an evaluation step with its own figures (not first
    // with the previous evaluation's, then again).
    const printed = [...train.out.matchAll(/^step (\d+)\//gm)].map((m) => Number(m[1]));
    assert.deepEqual(printed, [...new Set(printed)], `steps printed: ${printed}`);

    const store = RunStore.open(db, { readonly: true });
    const last = store.getMetrics(runId).at(-1)!;
    store.close();
    const r = dtrain('evaluate', runId, '--json');
    assert.equal(r.code, 0, r.err);
    const result = JSON.parse(r.out);
    assert.equal(result.step, 12);
    assert.equal(result.data, 'validation');
    assert.equal(result.count, 30);
    assert.ok(Math.abs(result.loss - last.metrics.val_loss!) <= 1e-6, `${result.loss} vs ${last.metrics.val_loss}`);
    assert.equal(result.metrics.accuracy, last.metrics.val_accuracy);
    assert.match(train.out, new RegExp(`^step 12/12 .* val_loss ${last.metrics.val_loss!.toFixed(4)} `, 'm'));

    const training = JSON.parse(
      dtrain('evaluate', runId, '--json', '--checkpoint', '6', '--data', '{"kind": "builtin", "name": "iris"}').out,
    );
    assert.equal(training.step, 6);
    assert.equal(training.count, 150);
    const text = dtrain('evaluate', runId);
    assert.match(
      text.out,
      new RegExp(
        `^run ${runId} checkpoint at step 12 on validation \\(30 examples\\): loss \\d\\.\\d{6}  accuracy \\d\\.\\d{6}\\n$`,
      ),
    );
  },
);

// restoreBest: the run's final checkpoint holds the best evaluation's weights. Evaluating it must say
// so (it printed the best's figures labelled with the final step, as if trained up to it).
test('evaluate --checkpoint on a restoreBest run names the step whose weights the checkpoint holds', { timeout: 180_000 }, () => {
  const configPath = join(dir, 'restore.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      ...CONFIG,
      data: { kind: 'builtin', name: 'iris', validation: { fraction: 0.3 } },
      optimizer: { learning_rate: 3.0 },
      evalEvery: 10,
      earlyStopping: { monitor: 'val_accuracy', patience: 100, restoreBest: true },
      steps: 60,
      globalBatchSize: 16,
      seed: 2,
      checkpointEvery: 0,
    }),
  );
  const train = dtrain('train', '--config', configPath, '--devices', '1');
  assert.equal(train.code, 0, train.err);
  const runId = /run (\S+) started/.exec(train.out)![1]!;
  const checkpoints = JSON.parse(dtrain('show', runId, '--json').out).checkpoints as {
    step: number;
    best?: boolean;
    restoredBestFrom?: number;
  }[];
  const best = checkpoints.find((c) => c.best)!;
  const final = checkpoints.at(-1)!;
  assert.equal(final.step, 60);
  assert.ok(best.step < 60, `this seed's best evaluation is before the end (${best.step})`);
  assert.equal(final.restoredBestFrom, best.step);
  assert.match(dtrain('show', runId).out, new RegExp(`step 60 .*restored best \\(weights of step ${best.step}\\)`));

  const atFinal = JSON.parse(dtrain('evaluate', runId, '--checkpoint', '60', '--json').out);
  const atBest = JSON.parse(dtrain('evaluate', runId, '--checkpoint', String(best.step), '--json').out);
  assert.equal(atFinal.step, 60);
  assert.equal(atFinal.restoredBestFrom, best.step);
  assert.equal(atFinal.loss, atBest.loss, 'the final checkpoint holds the best weights');
  const text = dtrain('evaluate', runId, '--checkpoint', '60');
  assert.match(
    text.out,
    new RegExp(
      `^run ${runId} checkpoint at step 60 \\(the run's final state: the best weights, restored from step ${best.step}\\) on validation`,
    ),
  );
});

test('evaluate refuses bad input in one line with exit code 2', () => {
  const none = dtrain('evaluate', 'nosuchrun');
  assert.equal(none.code, 2);
  assert.equal(none.err.trim().split('\n').length, 1, none.err);
  const json = dtrain('evaluate', 'x', '--data', '{bad');
  assert.equal(json.code, 2);
  assert.match(json.err, /--data text is not valid JSON/);
});
