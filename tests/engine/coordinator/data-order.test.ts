// data.shuffle: false with real worker processes on 1 and 3 devices: step t reads rows t·B … t·B+B−1 of
// the file (checked against the loss of exactly those rows at the initial weights), each device its
// contiguous slice, and the 3-device run (with gradient accumulation) equals the 1-device run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IRIS_MLP, assemble, startSession } from './helpers';
import { buildModel, evaluateSum, initParams } from '../../../src/core/models/index';
import { loadDatasetSync } from '../../../src/datasets/load';

const B = 30;

async function run(meshText: string) {
  const setup = {
    ...IRIS_MLP,
    data: { kind: 'builtin', name: 'iris', shuffle: false },
    globalBatchSize: B,
    optimizer: { ...IRIS_MLP.optimizer, gradient_accumulation_steps: 2 },
  };
  const session = await startSession(meshText, setup as never);
  try {
    const losses: number[] = [];
    session.onEvent((e) => e.type === 'step' && e.deviceId === 0 && losses.push(e.report.loss));
    await session.train(0, 7);
    return { losses, state: assemble(await session.exportShards()) };
  } finally {
    await session.close();
  }
}

test('shuffle: false on 1 and 3 worker processes reads the file order and gives the same run', { timeout: 240_000 }, async () => {
  const one = await run('batch=1');
  const three = await run('batch=3');
  // Step 0 uses the initial weights: its loss is the mean loss of rows 0..29 in file order.
  const iris = loadDatasetSync({ kind: 'builtin', name: 'iris' });
  const model = buildModel(IRIS_MLP.model);
  const params = initParams(model, IRIS_MLP.seed);
  const firstRows = evaluateSum(model, params, iris.x.subarray(0, B * 4), iris.y.subarray(0, B) as Int32Array, B);
  assert.ok(
    Math.abs(one.losses[0]! - firstRows.lossSum / B) < 1e-5,
    `step 0 loss ${one.losses[0]} vs rows 0..29: ${firstRows.lossSum / B}`,
  );
  // Step 1 still has the initial weights (the first of two accumulation calls only accumulates): rows 30..59.
  const nextRows = evaluateSum(model, params, iris.x.subarray(B * 4, 2 * B * 4), iris.y.subarray(B, 2 * B) as Int32Array, B);
  assert.ok(
    Math.abs(one.losses[1]! - nextRows.lossSum / B) < 1e-5,
    `step 1 loss ${one.losses[1]} vs rows 30..59: ${nextRows.lossSum / B}`,
  );
  one.losses.forEach((l, i) => assert.ok(Math.abs(l - three.losses[i]!) < 1e-5, `loss ${i}: ${l} vs ${three.losses[i]}`));
  for (const [path, ref] of one.state) {
    three.state
      .get(path)!
      .forEach((v, i) => assert.ok(Math.abs(v - ref[i]!) <= 2e-5 * Math.max(1, Math.abs(ref[i]!)), `${path}[${i}]`));
  }
  assert.ok(
    [...one.state.keys()].some((p) => p.includes('gradient_accumulator')),
    'accumulators are checkpointed with the run',
  );
});
