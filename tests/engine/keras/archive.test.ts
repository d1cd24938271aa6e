/**
 * Reading and writing `.keras` archives against the shared Keras 3 fixtures: every weight and
 * optimizer variable read from the archive equals what Keras recorded at save time (`at_save`), and
 * an archive written back holds the same structure, names, shapes and values.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { zipSync, strToU8, unzipSync } from 'fflate';
import { readKerasArchive, writeKerasArchive } from '../../../src/engine/keras/archive';
import { layerKeys } from '../../../src/engine/keras/layer-keys';
import { layerVars, optimizerVars } from '../../../src/engine/keras/weights-file';
import { archiveState, type KerasParam } from '../../../src/engine/keras/archive-state';
import { writeH5, group } from '../../../src/engine/keras/h5-tree';
import { ApiError } from '../../../src/shared/errors';
import { fixtureCases, flat, shapeOf, skipReason } from './fixture-cases';

const cases = fixtureCases();
if (cases.length === 0) test('Keras 3 fixture archives', { skip: skipReason }, () => {});

/** The params of a fixture model, named from `at_save` (Keras's weight order) and placed by layer key. */
function paramsOf(c: (typeof cases)[number], archive: Awaited<ReturnType<typeof readKerasArchive>>): KerasParam[] {
  const layers = layerVars(archive.weights, c.name);
  const places = layerKeys(archive.config as never).flatMap((l) =>
    (layers.get(l.key)?.vars ?? []).map((_, index) => ({ layer: l.key, index })),
  );
  const names = Object.keys(c.at_save.weights);
  assert.equal(places.length, names.length, 'one weight-file variable per Keras weight');
  return names.map((path, i) => ({ path, shape: shapeOf(c.at_save.weights[path]!), ...places[i]! }));
}

for (const c of cases) {
  test(`${c.name}: the archive's weights and optimizer variables equal Keras's at_save`, async () => {
    const archive = await readKerasArchive(c.archiveBytes, c.archivePath);
    assert.equal(archive.metadata.keras_version, '3.15.1');
    const params = paramsOf(c, archive);
    const state = archiveState(archive, params, c.optimizer_config, c.name);
    for (const p of params)
      assert.deepEqual([...state.params.get(p.path)!], flat(c.at_save.weights[p.path]!).map(Math.fround), p.path);
    // Optimizer variables, in Keras's order, against at_save's (which is in Keras's order too).
    const saved = optimizerVars(archive.weights, c.name)!;
    const expected = Object.entries(c.at_save.optimizer);
    assert.equal(saved.vars.length, expected.length);
    saved.vars.forEach((v, i) => {
      const [name, value] = expected[i]!;
      assert.deepEqual(v.shape, shapeOf(value), name);
      assert.deepEqual([...v.data].map(Number), flat(value).map(Math.fround), name);
    });
    assert.equal(saved.name, 'adadelta');
    assert.equal(state.optimizer!.iterations, c.steps_in_archive);
    assert.equal(
      state.optimizer!.learningRate,
      'adadelta/learning_rate' in c.at_save.optimizer
        ? Math.fround(c.at_save.optimizer['adadelta/learning_rate'] as number)
        : null,
    );
    // Slots by name: the first parameter's accumulators are at_save's.
    const first = params[0]!;
    const prefix = `adadelta/${Object.keys(c.at_save.weights)[0]!.replaceAll('/', '_')}`;
    assert.deepEqual(
      [...state.optimizer!.slots.get(`accumulated_grad/${first.path}`)!],
      flat(c.at_save.optimizer[`${prefix}_accumulated_grad`]!).map(Math.fround),
    );
    assert.deepEqual(
      [...state.optimizer!.slots.get(`accumulated_delta_var/${first.path}`)!],
      flat(c.at_save.optimizer[`${prefix}_accumulated_delta_var`]!).map(Math.fround),
    );
    if (c.optimizer_config.use_ema)
      assert.deepEqual(
        [...state.optimizer!.slots.get(`average/${first.path}`)!],
        flat(c.at_save.optimizer[`${prefix}_average`]!).map(Math.fround),
      );
  });

  test(`${c.name}: written back, the archive has the same structure, names, shapes and values`, async () => {
    const archive = await readKerasArchive(c.archiveBytes, c.archivePath);
    const again = await readKerasArchive(await writeKerasArchive(archive), 'rewritten');
    assert.deepEqual(again.config, archive.config);
    assert.deepEqual(again.metadata, archive.metadata);
    const describe = (a: typeof archive) => {
      const out: string[] = [];
      for (const [path, e] of layerVars(a.weights, 'x'))
        out.push(`${path} ${e.name} ${e.vars.map((v) => `${v.dtype}[${v.shape}]=${[...v.data].join(',')}`).join(' ')}`);
      const o = optimizerVars(a.weights, 'x')!;
      out.push(`optimizer ${o.name} ${o.vars.map((v) => `${v.dtype}[${v.shape}]=${[...v.data].join(',')}`).join(' ')}`);
      return out.sort();
    };
    assert.deepEqual(describe(again), describe(archive));
  });
}

test('bad archives are refused with one clear line', { skip: skipReason }, async () => {
  const expectInvalid = async (bytes: Uint8Array, pattern: RegExp) => {
    await assert.rejects(readKerasArchive(bytes, 'x.keras'), (e: unknown) => {
      assert.ok(e instanceof ApiError && e.code === 'invalid-input', String(e));
      assert.match(e.message, pattern);
      assert.ok(!e.message.includes('\n'), 'one line');
      return true;
    });
  };
  const good = unzipSync(cases[0]!.archiveBytes);
  await expectInvalid(
    strToU8('PK\u0003\u0004 this is not really a zip'),
    /x\.keras is not a \.keras archive: not a readable zip/,
  );
  await expectInvalid(cases[0]!.archiveBytes.slice(0, 200), /not a readable zip/);
  const { 'config.json': _config, ...noConfig } = good;
  await expectInvalid(zipSync(noConfig), /x\.keras is not a \.keras archive: it has no config\.json/);
  await expectInvalid(
    zipSync({ ...good, 'model.weights.h5': strToU8('garbage') }),
    /model\.weights\.h5 in x\.keras is not an HDF5 file/,
  );
  await expectInvalid(zipSync({ ...good, 'config.json': strToU8('{"class_name": ') }), /config\.json is not valid JSON/);
  // A valid HDF5 file without Keras's groups: readable, but the layer lookup names what is missing.
  const empty = await readKerasArchive(zipSync({ ...good, 'model.weights.h5': await writeH5(group({ name: 'x' })) }), 'x.keras');
  assert.throws(() => layerVars(empty.weights, 'x.keras'), /x\.keras has no 'layers' group: not the weights of a Keras 3 model/);
});

test('an optimizer whose variables do not fit its config is refused, naming the counts', { skip: skipReason }, async () => {
  const c = cases.find((k) => k.name === 'mlp')!;
  const archive = await readKerasArchive(c.archiveBytes, 'mlp.keras');
  const params = paramsOf(c, archive);
  // mlp's learning rate is a schedule: a float learning rate would need one more variable.
  assert.throws(
    () => archiveState(archive, params, { ...c.optimizer_config, learning_rate: 1.0 }, 'mlp.keras'),
    /mlp\.keras: the optimizer has 9 saved variables, its config and the model's 4 trainable variables need 10/,
  );
  assert.throws(
    () => archiveState(archive, [{ ...params[0]!, shape: [7, 16] }, ...params.slice(1)], c.optimizer_config, 'mlp.keras'),
    /layers\/dense\/vars\/0 \(sequential\/dense\/kernel\) has shape \[6, 16\], the model needs \[7, 16\]/,
  );
});
