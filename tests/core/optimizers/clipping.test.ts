// Keras's optimizer_test clipping goldens (docs/optimizer-contract.md, "Clipping"), observed through
// E[g²]: with rho = 0, accumulated_grad = g² of the clipped gradient. Also the priority rule (only the
// first matching rule applies), on 2 devices.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useCpuBackend } from '../../helpers/tf';
import { refClipByNorm, refGlobalScale } from '../../helpers/reference-adadelta';
import { Adadelta, Layout, Mesh, ShardedVariable, createLocalCollectives, type AdadeltaArgs } from '../../../src/core';

const tf = await useCpuBackend();

/** The clipped gradients, recovered as sqrt(E[g²]) after one step with rho = 0. */
async function clipped(args: AdadeltaArgs, grads: number[][]): Promise<number[][]> {
  const vars = grads.map((g) => tf.variable(tf.zeros([g.length])));
  const opt = new Adadelta({ ...args, rho: 0 });
  await opt.applyGradients(grads.map((g, i) => [tf.tensor1d(g), vars[i]!] as const));
  return vars.map((v) => Array.from(opt.slotsOf(opt.asSharded(v)).accumulatedGrad.readLocal(), Math.sqrt));
}

const close = (a: number[][], b: number[][], tol = 1e-6) =>
  a.flat().forEach((x, i) => assert.ok(Math.abs(x - b.flat()[i]!) <= tol, `${x} vs ${b.flat()[i]}`));

test('clipnorm=1 on [100,100] gives [√2/2, √2/2]', async () => {
  close(await clipped({ clipnorm: 1 }, [[100, 100]]), [[Math.SQRT1_2, Math.SQRT1_2]]);
});

test('global_clipnorm=1 on two tensors [100,100] gives [0.5,0.5] each', async () => {
  close(
    await clipped({ globalClipnorm: 1 }, [
      [100, 100],
      [100, 100],
    ]),
    [
      [0.5, 0.5],
      [0.5, 0.5],
    ],
  );
});

test('clipvalue=1 on [100,100] gives [1,1]; under the limit nothing changes', async () => {
  close(await clipped({ clipvalue: 1 }, [[100, 100]]), [[1, 1]]);
  close(await clipped({ clipvalue: 1 }, [[0.25, 0.5]]), [[0.25, 0.5]]);
});

test('priority: clipnorm with clipvalue applies only clipnorm; global_clipnorm with clipvalue only the global norm', async () => {
  close(await clipped({ clipnorm: 1, clipvalue: 0.1 }, [[100, 100]]), [[Math.SQRT1_2, Math.SQRT1_2]]);
  close(
    await clipped({ globalClipnorm: 1, clipvalue: 0.1 }, [
      [100, 100],
      [100, 100],
    ]),
    [
      [0.5, 0.5],
      [0.5, 0.5],
    ],
  );
});

test('random gradients match a float64 reference of clip_by_norm and clip_by_global_norm', async () => {
  const gs = [
    [3, -4, 1.5],
    [0.2, -7, 2, 2],
  ];
  close(
    await clipped({ clipnorm: 2 }, gs),
    gs.map((g) => refClipByNorm(g, 2).map(Math.abs)),
    1e-6,
  );
  const scale = refGlobalScale(gs, 3);
  close(
    await clipped({ globalClipnorm: 3 }, gs),
    gs.map((g) => g.map((x) => Math.abs(x * scale))),
    1e-6,
  );
});

test('a sharded variable is clipped by its global norm, not its shard norm', async () => {
  const mesh = Mesh.parse('model=2');
  const collectives = createLocalCollectives(mesh.deviceIds);
  const layout = new Layout(['model'], mesh);
  const devices = [0, 1].map((id) => ({
    v: new ShardedVariable({ name: 'w', globalShape: [2], layout, deviceId: id }),
    opt: new Adadelta({ mesh, collectives: collectives[id], clipnorm: 1, rho: 0 }),
  }));
  await Promise.all(devices.map(({ v, opt }) => opt.applyGradients([[new Float32Array([100, 100]), v]])));
  for (const { v, opt } of devices) {
    close([Array.from(opt.slotsOf(v).accumulatedGrad.readLocal(), Math.sqrt)], [[Math.SQRT1_2]]);
  }
});
