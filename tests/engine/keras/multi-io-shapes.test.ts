/**
 * A model with several inputs, one of them `Input(shape=(None,))` as text models write it: each open
 * dimension is taken from its own named array when the run is created (`"inputShape": {"<input>": …}`),
 * and without such data the input is named in the refusal. The model is Keras 3's own to_json()
 * (tests/cli/fixtures/multi-io-model.json) with the token input's length left open.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeNpz } from '../../../src/core/data/index';
import { buildModel } from '../../../src/core/models/index';
import { resolveKerasModel } from '../../../src/engine/keras/run-model';
import type { RunConfig } from '../../../src/shared/api';

const json = JSON.parse(readFileSync(join('tests', 'cli', 'fixtures', 'multi-io-model.json'), 'utf8')) as {
  config: { layers: { class_name: string; config: { name: string; batch_shape?: unknown[] } }[] };
};
for (const l of json.config.layers) if (l.config.name === 'body') l.config.batch_shape = [null, null];

test('an open dimension of one of several inputs is taken from its own array', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dtrain-multi-io-shapes-'));
  try {
    const n = 5;
    writeFileSync(
      join(dir, 'd.npz'),
      encodeNpz([
        { name: 'numeric', values: new Float32Array(n * 3), dtype: 'float32', shape: [n, 3] },
        { name: 'body', values: new Int32Array(n * 9), dtype: 'int32', shape: [n, 9] },
        { name: 'priority', values: new Float32Array(n * 2), dtype: 'float32', shape: [n, 2] },
        { name: 'department', values: new Int32Array(n), dtype: 'int32', shape: [n] },
      ]),
    );
    const config = {
      model: { type: 'keras', json },
      data: {
        kind: 'npz',
        path: join(dir, 'd.npz'),
        x: { numeric: 'numeric', body: 'body' },
        y: { priority: 'priority', department: 'department' },
      },
      mesh: 'batch=1',
      steps: 1,
      globalBatchSize: 2,
      seed: 1,
    } as unknown as RunConfig;
    const { config: resolved } = await resolveKerasModel(config);
    assert.deepEqual((resolved.model as { inputShape?: unknown }).inputShape, { numeric: [3], body: [9] });
    const model = buildModel(resolved.model);
    // Packed by name: body's 9 ids, then numeric's 3 values.
    assert.deepEqual(model.inputShape, [12]);
    assert.deepEqual(
      model.keras!.graph.inputs.map((i) => [i.name, i.shape, i.offset]),
      [
        ['numeric', [3], 9],
        ['body', [9], 0],
      ],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('without data, the open input is named', () => {
  assert.throws(
    () => buildModel({ type: 'keras', json } as never),
    /input "body" of model "functional" has input shape \[null\]: its None dimensions are taken from the data/,
  );
});
