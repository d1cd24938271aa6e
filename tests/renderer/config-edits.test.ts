// The new-run form as edits: what the user did not touch stays exactly as the copied config had it;
// what they changed (a value, a key removed, a new data kind) is applied.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyFormEdits, leaves } from '../../src/renderer/src/views/new-run/config-edits';

const BASE = {
  name: 'run (copy)',
  model: { type: 'mlp', input: [4], layers: [{ units: 3, type: 'dense' }] },
  data: { kind: 'synthetic', name: 'blobs', options: { numClasses: 3 }, validation: { fraction: 0.2 } },
  optimizer: { learning_rate: { class_name: 'ExponentialDecay', config: { initial_learning_rate: 1 } }, rho: 0.9 },
  steps: 100,
  watchdogSeconds: 30,
};
// What the form shows for BASE: defaults for keys it lacks, a schedule in the 2.13 form, no options.
const SHOWN = {
  name: 'run (copy)',
  model: { type: 'mlp', input: [4], layers: [{ units: 3, type: 'dense' }] },
  data: { kind: 'synthetic', name: 'blobs', validation: { fraction: 0.2 } },
  optimizer: {
    learning_rate: { module: 'keras.optimizers.schedules', class_name: 'ExponentialDecay', config: { initial_learning_rate: 1 } },
    rho: 0.9,
    epsilon: 1e-7,
    clipnorm: null,
  },
  steps: 100,
  checkpointEvery: 0,
};

test('an untouched form gives back the config it was filled from, exactly', () => {
  assert.deepEqual(applyFormEdits(BASE, SHOWN, structuredClone(SHOWN)), BASE);
});

test('a changed field is applied; the keys the form never showed are kept', () => {
  const after = structuredClone(SHOWN);
  after.steps = 250;
  after.optimizer.clipnorm = 1 as never;
  const out = applyFormEdits(BASE, SHOWN, after);
  assert.deepEqual(out, { ...BASE, steps: 250, optimizer: { ...BASE.optimizer, clipnorm: 1 } });
});

test('a removed key is deleted; a new schedule replaces the old one whole', () => {
  const after = structuredClone(SHOWN) as Record<string, unknown> & typeof SHOWN;
  delete (after.data as { validation?: unknown }).validation;
  after.optimizer.learning_rate = {
    module: 'keras.optimizers.schedules',
    class_name: 'CosineDecay',
    config: { decay_steps: 10 },
  } as never;
  const out = applyFormEdits(BASE, SHOWN, after) as typeof BASE;
  assert.equal('validation' in out.data, false);
  assert.deepEqual(out.optimizer.learning_rate, after.optimizer.learning_rate);
  assert.equal(out.watchdogSeconds, 30);
});

test('another data kind replaces the data source (the old kind’s keys go), keeping the validation', () => {
  const after = structuredClone(SHOWN) as Record<string, unknown>;
  after.data = { kind: 'csv', path: '/d.csv', validation: { fraction: 0.2 } };
  const out = applyFormEdits(BASE, SHOWN, after) as typeof BASE;
  assert.deepEqual(out.data, { kind: 'csv', path: '/d.csv', validation: { fraction: 0.2 } });
});

test('leaves: nested keys by path, the model and arrays as whole values', () => {
  assert.deepEqual(
    [...leaves({ model: { type: 'mlp', input: [4] }, data: { kind: 'csv', size: [1, 2] }, steps: 3 })],
    [
      ['model', '{"type":"mlp","input":[4]}'],
      ['data.kind', '"csv"'],
      ['data.size', '[1,2]'],
      ['steps', '3'],
    ],
  );
});
