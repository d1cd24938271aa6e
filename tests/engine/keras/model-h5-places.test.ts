// The contract between the model builder and the archive reader: every parameter buildKerasModel lists
// for an archive's config.json is found at its `h5` place (layers/<key>/vars/<i>) in that archive's
// model.weights.h5, with its shape, holding exactly the values Keras recorded at save time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildKerasModel } from '../../../src/core/models/index';
import { readKerasArchive } from '../../../src/engine/keras/archive';
import { archiveState } from '../../../src/engine/keras/archive-state';
import { fixtureCases, flat, skipReason } from './fixture-cases';

test('each fixture archive: params found at their h5 places, equal to at_save', { skip: skipReason }, async () => {
  const cases = fixtureCases();
  assert.ok(cases.length >= 4, `found ${cases.length} cases`);
  for (const c of cases) {
    const archive = await readKerasArchive(c.archiveBytes, c.archivePath);
    const model = buildKerasModel(archive.config);
    const params = model.params.map((p) => ({ path: p.path, shape: p.shape, layer: p.h5!.layer, index: p.h5!.index }));
    const state = archiveState(archive, params, c.optimizer_config, c.name);
    const keys = Object.keys(c.at_save.weights);
    model.params.forEach((p, i) => {
      assert.ok(keys[i]!.endsWith(p.path), `${c.name}: param ${i} is ${p.path}, Keras's weight ${i} is ${keys[i]}`);
      assert.deepEqual([...state.params.get(p.path)!], flat(c.at_save.weights[keys[i]!]!).map(Math.fround), `${c.name}: ${p.path}`);
    });
  }
});
