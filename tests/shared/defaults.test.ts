// Each default lives in src/shared/defaults.ts, and what reads it agrees with it: core's Adadelta (an
// empty optimizer config) and the engine's parse of a run config that leaves the keys out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Adadelta } from '../../src/core/optimizers/adadelta';
import { parseRun } from '../../src/engine/config/parse-run';
import { ADADELTA_DEFAULTS, RUN_DEFAULTS } from '../../src/shared/defaults';
import { NO_SETTINGS } from '../../src/shared/settings';

test("an empty optimizer config is Keras's Adadelta defaults, as the New-run form shows them", () => {
  const config = Adadelta.fromConfig({}).getConfig();
  assert.equal(config.rho, ADADELTA_DEFAULTS.rho);
  assert.equal(config.epsilon, ADADELTA_DEFAULTS.epsilon);
  assert.equal(config.ema_momentum, ADADELTA_DEFAULTS.ema_momentum);
  assert.equal(config.learning_rate, Math.fround(ADADELTA_DEFAULTS.learning_rate)); // a float32 variable in Keras
  // keras.optimizers.Adadelta's signature (learning_rate=0.001, rho=0.95, epsilon=1e-7, ema_momentum=0.99).
  assert.deepEqual(ADADELTA_DEFAULTS, { learning_rate: 0.001, rho: 0.95, epsilon: 1e-7, ema_momentum: 0.99 });
});

test('a new run that leaves them out gets the run defaults, and a 120 s watchdog', async () => {
  const run = await parseRun(
    {
      model: { type: 'mlp', input: [4], layers: [{ type: 'dense', units: 3 }], loss: 'softmax_cross_entropy' },
      data: { kind: 'builtin', name: 'iris' },
      mesh: 'batch=1',
      optimizer: {},
      steps: 1,
      globalBatchSize: 10,
      seed: 0,
    },
    { settings: NO_SETTINGS },
  );
  assert.ok(!Array.isArray(run), JSON.stringify(run));
  assert.deepEqual(
    [run.config.layouts, run.config.checkpointEvery, run.config.keepCheckpoints],
    [RUN_DEFAULTS.layouts, RUN_DEFAULTS.checkpointEvery, RUN_DEFAULTS.keepCheckpoints],
  );
  assert.deepEqual([RUN_DEFAULTS.checkpointEvery, RUN_DEFAULTS.keepCheckpoints], [0, 3]);
  assert.equal(run.watchdogMs, 120_000);
  assert.equal(run.emaFirstStep, 'keras2', 'a spec model takes tf.keras 2.x’s rule');
  assert.equal(run.config.emaFirstStep, undefined, 'and does not record it (only Keras models do)');
});
