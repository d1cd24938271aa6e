// The contract between the model builder and the archive reader: every parameter buildKerasModel lists
// for an archive's config.json is found at its `h5` place (layers/<key>/vars/<i>) in that archive's
// model.weights.h5, with its shape, holding exactly the values Keras recorded at save time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildKerasModel } from '../../../src/core/models/index';
import { readKerasArchive } from '../../../src/engine/keras/archive';
import { archiveState } from '../../../src/engine/keras/archive-state';
import { kerasParamsOf } from '../../../src/engine/keras/run-model';
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
      assert.deepEqual(
        [...state.params.get(p.path)!],
        flat(c.at_save.weights[keys[i]!]!).map(Math.fround),
        `${c.name}: ${p.path}`,
      );
    });
  }
});

test("a layer named like another layer's h5 key keeps its own place", () => {
  const dense = (name: string, from: string) => ({
    class_name: 'Dense',
    config: { name, units: 2 },
    name,
    inbound_nodes: [[[from, 0, 0, {}]]],
  });
  const model = buildKerasModel(
    {
      class_name: 'Functional',
      config: {
        name: 'm',
        layers: [
          { class_name: 'InputLayer', config: { batch_input_shape: [null, 2], name: 'in' }, name: 'in', inbound_nodes: [] },
          dense('x', 'in'),
          dense('dense', 'x'),
        ],
        input_layers: [['in', 0, 0]],
        output_layers: [['dense', 0, 0]],
      },
    },
    { loss: 'mse' },
  );
  // Keras saves the first Dense ("x") as layers/dense and the second ("dense") as layers/dense_1.
  assert.deepEqual(
    kerasParamsOf(model).map((p) => `${p.path} → layers/${p.layer}/vars/${p.index}`),
    [
      'x/kernel → layers/dense/vars/0',
      'x/bias → layers/dense/vars/1',
      'dense/kernel → layers/dense_1/vars/0',
      'dense/bias → layers/dense_1/vars/1',
    ],
  );
});
