// The DESIGN invariant with real worker processes and the real socket ring: N = 1, 2, 3, 4 devices
// (and a 2×2 mesh) give the parameters and optimizer state of the 1-device run, within float
// rounding of the gradient sums, with sharded layouts (uneven splits included), clipping and EMA.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IRIS_MLP, assemble, startSession } from './helpers';

const STEPS = 6;

async function trainRun(meshText: string, optimizer: Record<string, unknown>, layouts: Record<string, string[]>) {
  const session = await startSession(meshText, { ...IRIS_MLP, optimizer: { ...IRIS_MLP.optimizer, ...optimizer }, layouts });
  try {
    const reports: number[] = [];
    session.onEvent((e) => e.type === 'step' && e.deviceId === 0 && reports.push(e.report.loss));
    const last = await session.train(0, STEPS);
    assert.equal(last!.step, STEPS - 1);
    return { state: assemble(await session.exportShards()), losses: reports };
  } finally {
    await session.close();
  }
}

function assertClose(a: Map<string, Float64Array>, b: Map<string, Float64Array>, label: string) {
  assert.deepEqual([...a.keys()].sort(), [...b.keys()].sort(), `${label}: same variables`);
  for (const [path, ref] of b) {
    const got = a.get(path)!;
    ref.forEach((r, i) => {
      assert.ok(!Number.isNaN(got[i]!), `${label} ${path}[${i}] not covered by any shard`);
      assert.ok(Math.abs(got[i]! - r) <= 2e-5 * Math.max(1, Math.abs(r)), `${label} ${path}[${i}]: ${got[i]} vs ${r}`);
    });
  }
}

const SHARDED = { 'dense.*kernel': ['batch', 'unsharded'], 'dense_1.bias': ['batch'] };

test(
  'N = 2, 3, 4 workers equal the 1-device run (kernels sharded over batch, 3 output biases over 4 devices)',
  { timeout: 240_000 },
  async () => {
    const optimizer = { clipnorm: 0.5, use_ema: true, ema_momentum: 0.9, ema_overwrite_frequency: 4 };
    const reference = await trainRun('batch=1', optimizer, SHARDED);
    assert.equal(reference.losses.length, STEPS);
    for (const mesh of ['batch=2', 'batch=3', 'batch=4']) {
      const run = await trainRun(mesh, optimizer, SHARDED);
      assertClose(run.state, reference.state, mesh);
      run.losses.forEach((l, i) => assert.ok(Math.abs(l - reference.losses[i]!) < 1e-5, `${mesh} loss ${i}`));
    }
  },
);

test('a 2×2 mesh with global_clipnorm equals the 1-device run', { timeout: 120_000 }, async () => {
  const optimizer = { global_clipnorm: 0.8 };
  const layouts = { 'dense.*kernel': ['model', 'unsharded'], 'dense.bias': ['batch'] };
  const reference = await trainRun('batch=1,model=1', optimizer, layouts);
  const run = await trainRun('batch=2,model=2', optimizer, layouts);
  assertClose(run.state, reference.state, '2x2');
});
