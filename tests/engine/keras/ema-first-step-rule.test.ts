/** Which EMA first-step rule a new run takes, from what its model comes from; and a bad value refused. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emaFirstStepFor } from '../../../src/engine/keras/ema-first-step';
import { parseRun } from '../../../src/engine/config/parse-run';
import { NO_SETTINGS } from '../../../src/shared/settings';
import type { RunConfig } from '../../../src/shared/api';

const run = (model: unknown, extra: object = {}) =>
  ({
    model,
    data: { kind: 'builtin', name: 'iris' },
    mesh: 'batch=1',
    optimizer: { learning_rate: 1 },
    steps: 1,
    globalBatchSize: 8,
    seed: 1,
    ...extra,
  }) as unknown as RunConfig;
const dense = { class_name: 'Dense', config: { name: 'dense', units: 3 } };

test('Keras 3 archives and JSON take keras3; tf.keras 2.x JSON keras2; spec models none; an explicit choice wins', () => {
  assert.equal(emaFirstStepFor(run({ type: 'keras', path: 'm.keras' })), 'keras3');
  assert.equal(
    emaFirstStepFor(run({ type: 'keras', json: { module: 'keras', class_name: 'Sequential', config: { layers: [dense] } } })),
    'keras3',
  );
  assert.equal(
    emaFirstStepFor(
      run({
        type: 'keras',
        json: { class_name: 'Sequential', config: { layers: [dense] }, keras_version: '2.15.0', backend: 'tensorflow' },
      }),
    ),
    'keras2',
  );
  assert.equal(
    emaFirstStepFor(
      run({ type: 'keras', json: { class_name: 'Sequential', config: { layers: [dense] }, keras_version: '3.15.1' } }),
    ),
    'keras3',
  );
  assert.equal(
    emaFirstStepFor(run({ type: 'mlp', input: [4], layers: [{ type: 'dense', units: 3 }], loss: 'softmax_cross_entropy' })),
    undefined,
  );
  assert.equal(emaFirstStepFor(run({ type: 'keras', path: 'm.keras' }, { emaFirstStep: 'keras2' })), 'keras2');
});

test('emaFirstStep other than keras2/keras3 is refused at its key', async () => {
  const spec = { type: 'mlp', input: [4], layers: [{ type: 'dense', units: 3 }], loss: 'softmax_cross_entropy' };
  assert.deepEqual(await parseRun(run(spec, { emaFirstStep: 'keras4' }), { settings: NO_SETTINGS }), [
    { path: 'emaFirstStep', message: 'emaFirstStep must be "keras2" or "keras3" (got "keras4")' },
  ]);
  const parsed = await parseRun(run(spec, { emaFirstStep: 'keras3' }), { settings: NO_SETTINGS });
  assert.ok(!Array.isArray(parsed), JSON.stringify(parsed));
  assert.equal(parsed.emaFirstStep, 'keras3');
});
