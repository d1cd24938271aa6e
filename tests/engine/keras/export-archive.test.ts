/**
 * A run made from each Keras fixture archive, exported at its step-0 checkpoint, is the same archive
 * again: structure, group names, shapes and values (the iteration may widen from int32 to int64).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readKerasArchive, writeKerasArchive, type KerasArchive } from '../../../src/engine/keras/archive';
import { resolveKerasModel } from '../../../src/engine/keras/run-model';
import { runToKerasArchive } from '../../../src/engine/keras/run-archive';
import { layerVars, optimizerVars } from '../../../src/engine/keras/weights-file';
import type { RunConfig } from '../../../src/shared/api';
import { fixtureCases, skipReason } from './fixture-cases';

const cases = fixtureCases();
if (cases.length === 0) test('Keras 3 fixture archives', { skip: skipReason }, () => {});

function describe(a: KerasArchive): string[] {
  const v = (d: { shape: number[]; data: ArrayLike<number | bigint> }) => `[${d.shape}]=${Array.from(d.data, Number).join(',')}`;
  const out = [...layerVars(a.weights, 'x')].map(([path, e]) => `layers/${path} name=${e.name} ${e.vars.map(v).join(' ')}`);
  const o = optimizerVars(a.weights, 'x')!;
  out.push(`optimizer name=${o.name} ${o.vars.map(v).join(' ')}`);
  out.push(`vars name=${(a.weights.children.get('vars') as { attrs: Record<string, string> }).attrs.name}`);
  return out.sort();
}

for (const c of cases) {
  test(`${c.name}: imported as a run and exported again, the archive is the same`, async () => {
    const run = {
      model: { type: 'keras', path: c.archivePath },
      data: { kind: 'builtin', name: 'iris' },
      mesh: 'batch=1',
      steps: 1,
      globalBatchSize: 8,
      seed: 1,
    } as unknown as RunConfig;
    const { config, initial } = await resolveKerasModel(run);
    const original = await readKerasArchive(c.archiveBytes, c.archivePath);
    const again = await readKerasArchive(await writeKerasArchive(runToKerasArchive(config, initial!)), 'exported');
    assert.deepEqual(describe(again), describe(original));
    const { compile_config: compileA, ...modelA } = again.config;
    const { compile_config: compileB, ...modelB } = original.config;
    assert.deepEqual(modelA, modelB);
    assert.deepEqual((compileA as { optimizer: unknown }).optimizer, (compileB as { optimizer: unknown }).optimizer);
    assert.deepEqual((compileA as { loss: unknown }).loss, (compileB as { loss: unknown }).loss);
    assert.equal(again.metadata.keras_version, '3.15.1');
  });
}
