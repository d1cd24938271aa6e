// `dtrain import-config` on configs as Keras 3 writes them (issue: it failed with
// "loss_scale_factor is not a valid argument"), with both output flavours, as a user runs it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliSandbox } from './cli-sandbox';

const { dir, dtrain } = cliSandbox('dtrain-import-', { dbName: 'x.db' });

// json.dumps(keras.optimizers.Adadelta(learning_rate=0.5, gradient_accumulation_steps=3, loss_scale_factor=8.0, clipnorm=1.0).get_config()), Keras 3.15.1
const KERAS3 =
  '{"name": "adadelta", "learning_rate": 0.5, "weight_decay": null, "clipnorm": 1.0, "global_clipnorm": null, "clipvalue": null, "use_ema": false, "ema_momentum": 0.99, "ema_overwrite_frequency": null, "loss_scale_factor": 8.0, "gradient_accumulation_steps": 3, "rho": 0.95, "epsilon": 1e-07}';

test("import-config accepts a Keras 3 config and prints Keras 3's form; --flavour keras2 refuses what 2.x cannot hold", () => {
  const file = join(dir, 'k3.json');
  writeFileSync(file, KERAS3);
  const ok = dtrain('import-config', file);
  assert.equal(ok.code, 0, ok.err);
  assert.deepEqual(JSON.parse(ok.out), JSON.parse(KERAS3));
  const k2 = dtrain('import-config', file, '--flavour', 'keras2');
  assert.equal(k2.code, 2);
  assert.match(k2.err, /loss_scale_factor=8 has no tf.keras 2.x form/);
  assert.equal(k2.err.trim().split('\n').length, 1);
});

test('import-config --flavour keras2 writes the 2.13–2.15 keys; a bad flavour or accumulation step is one line, exit 2', () => {
  const file = join(dir, 'plain.json');
  writeFileSync(
    file,
    KERAS3.replace('"loss_scale_factor": 8.0', '"loss_scale_factor": null').replace(
      '"gradient_accumulation_steps": 3',
      '"gradient_accumulation_steps": null',
    ),
  );
  const k2 = dtrain('import-config', file, '--flavour', 'keras2');
  assert.equal(k2.code, 0, k2.err);
  const cfg = JSON.parse(k2.out);
  assert.equal(cfg.is_legacy_optimizer, false);
  assert.ok('jit_compile' in cfg && !('loss_scale_factor' in cfg));
  const bad = dtrain('import-config', file, '--flavour', 'keras4');
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--flavour must be keras3 or keras2/);
  writeFileSync(file, KERAS3.replace('"gradient_accumulation_steps": 3', '"gradient_accumulation_steps": 1'));
  const one = dtrain('import-config', file);
  assert.equal(one.code, 2);
  assert.match(one.err, /`gradient_accumulation_steps` must be an integer >= 2. Received: gradient_accumulation_steps=1/);
});
