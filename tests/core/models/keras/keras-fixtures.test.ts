// Every Keras 3 fixture case continued here matches what Keras 3.15.1 (JAX) reached: per-step losses,
// weights, every optimizer variable, and the EMA-finalized weights — on 1 device, on 2 devices
// replicated (data parallel), and on 2 devices with kernels and embedding tables row-sharded.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { useCpuBackend } from '../../../helpers/tf';
import { keras3Fixtures } from '../../../helpers/external';
import { CASES, readCase } from './fixture-case';
import { compareWithKeras as compare, continueCase, rowShardedLayouts } from './continuation';

const fixtures = keras3Fixtures();
const skip = 'reason' in fixtures ? fixtures.reason : false;

describe('Keras 3 fixtures: continue training and match Keras', { skip }, () => {
  before(async () => {
    await useCpuBackend();
  });
  for (const name of CASES) {
    test(`${name}: 1 device`, async () => {
      const c = readCase((fixtures as { dir: string }).dir, name);
      compare(c, await continueCase(c, 'batch=1'));
    });
    test(`${name}: 2 devices, data parallel`, async () => {
      const c = readCase((fixtures as { dir: string }).dir, name);
      compare(c, await continueCase(c, 'batch=2'));
    });
    test(`${name}: 2 devices, kernels and tables row-sharded`, async () => {
      const c = readCase((fixtures as { dir: string }).dir, name);
      compare(c, await continueCase(c, 'model=2', rowShardedLayouts));
    });
  }
});

describe('the sparse exchange: N devices give the bits of one', { skip }, () => {
  before(async () => {
    await useCpuBackend();
  });
  test('embedding table and both accumulators after a step: identical on 1, 2 (replicated or row-sharded) and 4 devices', async () => {
    const c = readCase((fixtures as { dir: string }).dir, 'embedding');
    const firstStep = { ...c, batches: c.batches.slice(0, 1) };
    const one = await continueCase(firstStep, 'batch=1');
    const table = [...one.weights.keys()].find((k) => k.endsWith('embedding/embeddings'))!;
    const slots = [...one.optimizer.keys()].filter((k) => k.includes('embedding_embeddings'));
    assert.equal(slots.length, 2);
    for (const [mesh, layouts] of [
      ['batch=2', undefined],
      ['model=2', rowShardedLayouts],
      ['batch=4', undefined],
    ] as const) {
      const many = await continueCase(firstStep, mesh, layouts);
      assert.deepEqual(many.weights.get(table), one.weights.get(table), `${mesh}: ${table}`);
      for (const k of slots) assert.deepEqual(many.optimizer.get(k), one.optimizer.get(k), `${mesh}: ${k}`);
    }
  });
});
