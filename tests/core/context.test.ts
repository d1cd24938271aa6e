// The compute context (core/context.ts): what an optimizer and a training step keep between calls is
// their context's, not the process's. Two contexts in one process: variables, slots and the kernels'
// staging live in each one's heap, copies are counted on each one's meter, the default context sees none
// of it, and the numbers are the same bits whichever context computed them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useCpuBackend } from '../helpers/tf';
import { Adadelta, Layout, Mesh, ShardedVariable } from '../../src/core';
import { ComputeContext, defaultContext } from '../../src/core/context';
import { buildModel, initParams, lossAndGradsSum } from '../../src/core/models/index';

await useCpuBackend();

const N = 40;

async function train(context: ComputeContext) {
  const x = new ShardedVariable({
    name: 'x',
    globalShape: [N],
    layout: Layout.replicated(Mesh.single(), 1),
    deviceId: 0,
    heap: context.heap,
    initialValue: Array.from({ length: N }, (_, i) => Math.sin(i)),
  });
  const opt = new Adadelta({ learningRate: 0.5, context });
  for (let step = 0; step < 3; step++) {
    // A plain array, outside every heap: the fused kernel stages it into the variable's heap.
    await opt.applyGradients([[Float32Array.from({ length: N }, (_, i) => Math.cos(i + step)), x]]);
  }
  return { x, opt };
}

test('an optimizer keeps its slots and staging in its context, counts there, and gives the same bits', async () => {
  const defaultBefore = defaultContext.copies.totals();
  const [a, b] = [new ComputeContext(), new ComputeContext()];
  const ra = await train(a);
  const rb = await train(b);
  for (const v of ra.opt.variables.slice(1) as ShardedVariable[]) {
    assert.equal(v.heap, a.heap, `${v.name} in the variable's heap`);
    assert.equal(v.hostBuffer().heap, a.heap);
  }
  assert.equal(ra.x.hostBuffer().heap, a.heap);
  assert.equal(rb.x.hostBuffer().heap, b.heap);
  assert.notEqual(a.heap.memory, b.heap.memory);
  // 3 staged gradients of N float32 each, counted where the optimizer's context says.
  assert.equal(a.copies.totals().kernel, 3 * N * 4);
  assert.equal(b.copies.totals().kernel, 3 * N * 4);
  assert.deepEqual(defaultContext.copies.totals(), defaultBefore, 'the default context counted nothing');
  assert.deepEqual(ra.x.readLocal(), rb.x.readLocal());
  assert.ok(
    ra.x.readLocal().some((v, i) => v !== Math.fround(Math.sin(i))),
    'the variable moved',
  );
});

test("a training step counts its uploads and downloads on its context's meter", () => {
  const model = buildModel({ type: 'mlp', input: [3], layers: [{ type: 'dense', units: 2 }], loss: 'mse' });
  const params = initParams(model, 1);
  const x = Float32Array.of(1, 2, 3, 4, 5, 6);
  const y = Float32Array.of(1, 0, 0, 1);
  const context = new ComputeContext();
  const defaultBefore = defaultContext.copies.totals();
  lossAndGradsSum(model, params, x, y, 2, { context });
  const paramBytes = 4 * (3 * 2 + 2);
  const counted = context.copies.totals();
  assert.equal(counted.upload, x.byteLength + y.byteLength + paramBytes, 'the batch and the parameters');
  assert.equal(counted.download, paramBytes, 'every gradient, once');
  assert.deepEqual(defaultContext.copies.totals(), defaultBefore);
});
