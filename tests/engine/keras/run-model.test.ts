/**
 * `"model": {"type": "keras", "path": …}`: the archive's config, optimizer and state become the run's
 * config and its step-0 checkpoint; checked against what Keras recorded at save time (`at_save`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assembleGlobal } from '../../../src/core/checkpoint/index';
import { resolveKerasModel } from '../../../src/engine/keras/run-model';
import { readKerasArchive, writeKerasArchive } from '../../../src/engine/keras/archive';
import type { RunConfig } from '../../../src/shared/api';
import { ApiError } from '../../../src/shared/errors';
import { fixtureCases, flat, skipReason } from './fixture-cases';

const cases = fixtureCases();
if (cases.length === 0) test('Keras 3 fixture archives', { skip: skipReason }, () => {});

const base = (path: string): RunConfig =>
  ({
    model: { type: 'keras', path },
    data: { kind: 'builtin', name: 'iris' },
    mesh: 'batch=1',
    steps: 4,
    globalBatchSize: 8,
    seed: 1,
  }) as unknown as RunConfig;

/** Keras's optimizer variable name for a weight path: `adadelta/<path with _>_<slot>`. */
const kerasSlot = (weightPath: string, slot: string) => `adadelta/${weightPath.replaceAll('/', '_')}_${slot}`;

for (const c of cases) {
  test(`${c.name}: the archive becomes the run's model, optimizer and step-0 checkpoint`, async () => {
    const { config, initial } = await resolveKerasModel(base(c.archivePath));
    assert.equal((config.model.json as { class_name: string }).class_name, (c.model_json as { class_name: string }).class_name);
    assert.deepEqual(config.optimizer, c.optimizer_config);
    assert.ok(initial);
    assert.equal(initial.step, 0, "the run's own step count starts at 0");
    assert.equal(initial.iterations, c.steps_in_archive, "the optimizer's iterations continue from the archive");
    const byPath = new Map(initial.tensors.map((t) => [t.path, [...assembleGlobal(t)]]));
    assert.deepEqual(byPath.get('optimizer/iteration'), [c.steps_in_archive]);
    const weightNames = Object.keys(c.at_save.weights);
    // Our parameter paths are Keras's variable paths without the model's name.
    for (const name of weightNames) {
      const ours = name.replace(/^(sequential|functional)\//, '');
      assert.deepEqual(byPath.get(`params/${ours}`), flat(c.at_save.weights[name]!).map(Math.fround), name);
      for (const slot of ['accumulated_grad', 'accumulated_delta_var', ...(c.optimizer_config.use_ema ? ['average'] : [])]) {
        assert.deepEqual(
          byPath.get(`optimizer/adadelta/${slot}/${ours}`),
          flat(c.at_save.optimizer[kerasSlot(name, slot)]!).map(Math.fround),
          `${name} ${slot}`,
        );
      }
    }
    assert.equal(initial.tensors.length, 1 + weightNames.length * (c.optimizer_config.use_ema ? 4 : 3));
  });
}

test(
  'an optimizer in the run config starts fresh: iterations 0, zero accumulators, weights from the archive',
  { skip: skipReason },
  async () => {
    const c = cases.find((k) => k.name === 'mlp')!;
    const { config, initial } = await resolveKerasModel({ ...base(c.archivePath), optimizer: { learning_rate: 0.5 } });
    assert.deepEqual(config.optimizer, { learning_rate: 0.5 });
    const byPath = new Map(initial!.tensors.map((t) => [t.path, [...assembleGlobal(t)]]));
    assert.equal(initial!.iterations, 0);
    assert.deepEqual(byPath.get('params/dense/kernel'), flat(c.at_save.weights['sequential/dense/kernel']!).map(Math.fround));
    assert.ok(byPath.get('optimizer/Adadelta/accumulated_grad/dense/kernel')!.every((v) => v === 0));
  },
);

test('a missing archive, a corrupt one and a non-Adadelta optimizer are one clear line each', { skip: skipReason }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dtrain-kerasrun-'));
  try {
    const expect = async (config: RunConfig, pattern: RegExp) =>
      assert.rejects(
        resolveKerasModel(config),
        (e: unknown) =>
          e instanceof ApiError && e.code === 'invalid-input' && pattern.test(e.message) && !e.message.includes('\n'),
      );
    await expect(base(join(dir, 'nope.keras')), /model\.path: cannot read .*nope\.keras: no such file/);
    writeFileSync(join(dir, 'bad.keras'), 'not a zip at all');
    await expect(base(join(dir, 'bad.keras')), /bad\.keras is not a \.keras archive: not a readable zip/);
    const adam = await readKerasArchive(cases[0]!.archiveBytes, 'x');
    (adam.config.compile_config as { optimizer: { class_name: string } }).optimizer.class_name = 'Adam';
    writeFileSync(join(dir, 'adam.keras'), await writeKerasArchive(adam));
    await expect(
      base(join(dir, 'adam.keras')),
      /adam\.keras: its optimizer is Adam; this trainer trains with Adadelta: give an "optimizer" in the run config/,
    );
    await expect(
      { ...base(cases[0]!.archivePath), model: { type: 'keras', path: cases[0]!.archivePath, json: {} } } as RunConfig,
      /give "path" .* not both/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
