// The Keras layer tables (README.md's compact list, docs/keras-models.md's full table) are generated
// from the catalogue and the registry, list every class Keras 3 exports (checked against live Keras
// where it is installed), and say why for each class that is not read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { KERAS_LAYER_CLASSES } from '../../../../src/core/models/keras/catalogue';
import { TRANSLATORS } from '../../../../src/core/models/keras/registry';
import { compactLayerList, fullLayerTable, layerTableFiles } from '../../../../scripts/keras-layer-table';
import { pythonWithKeras } from '../../../helpers/external';

test('every catalogued class is read exactly when it has no reason not to be; every translator is catalogued', () => {
  for (const [name, why] of Object.entries(KERAS_LAYER_CLASSES))
    assert.equal(
      why === undefined,
      name in TRANSLATORS,
      `${name}: ${why === undefined ? 'no reason given but not read' : 'read but given a reason'}`,
    );
  for (const name of Object.keys(TRANSLATORS)) assert.ok(name in KERAS_LAYER_CLASSES, `${name} is read but not in the catalogue`);
});

test('README.md and docs/keras-models.md hold the current generated blocks (node --import tsx scripts/keras-layer-table.ts)', () => {
  for (const f of layerTableFiles()) assert.equal(f.now, f.next, `${f.file}: the Keras layer table is out of date`);
});

test('the blocks name every class once, as supported or not, with the reason in the full table', () => {
  const compact = compactLayerList();
  const full = fullLayerTable();
  const supported = Object.keys(KERAS_LAYER_CLASSES).filter((n) => n in TRANSLATORS);
  const refused = Object.keys(KERAS_LAYER_CLASSES).filter((n) => !(n in TRANSLATORS));
  assert.match(compact, new RegExp(`^Supported \\(${supported.length}\\):`));
  assert.match(compact, new RegExp(`\\nNot supported \\(${refused.length}\\):`));
  const [readPart, refusedPart] = compact.split('Not supported');
  for (const n of supported) assert.match(readPart!, new RegExp(`[ :]${n}[,.]`), `${n} in the compact supported list`);
  for (const n of refused) assert.match(refusedPart!, new RegExp(`[ :]${n}[,.]`), `${n} in the compact refused list`);
  assert.ok(full.includes('| `BatchNormalization` | yes |  |'), 'a supported row');
  assert.ok(full.includes('| `Lambda` | no | Python code in the model: cannot be read |'), "a refused row with Keras's reason");
  assert.equal(
    full.split('\n').length,
    2 + supported.length + refused.length + 3,
    'one row per class and keras.applications layer',
  );
});

const keras = pythonWithKeras();
test("the catalogue is Keras 3's own list of layer classes", { skip: 'reason' in keras ? keras.reason : undefined }, () => {
  const r = spawnSync(
    (keras as { python: string }).python,
    [
      '-c',
      'import inspect, keras; print("\\n".join(sorted(n for n in dir(keras.layers) if inspect.isclass(getattr(keras.layers, n)) and issubclass(getattr(keras.layers, n), keras.layers.Layer))))',
    ],
    { env: { ...process.env, KERAS_BACKEND: 'jax' }, encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(Object.keys(KERAS_LAYER_CLASSES).sort(), r.stdout.trim().split('\n').sort());
});
