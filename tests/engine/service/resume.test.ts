// Issue 5's resume contract with real workers and a real database: a run checkpointed at step k and
// resumed to n equals an uninterrupted run to n byte for byte (same mesh), metric history has each
// step exactly once, and a checkpoint from N devices resumes on M devices (resharded) within rounding.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IRIS_RUN, eventsOf, finalState, withService } from './helpers';

test(
  'resume on the same mesh is bit-identical to an uninterrupted run, and metrics do not double back',
  { timeout: 180_000 },
  async () => {
    await withService(async (service, dir) => {
      const { runId: straight } = await service.startRun({ ...IRIS_RUN, steps: 20 });
      assert.equal(await service.waitForRun(straight), 'completed');

      const { runId: split } = await service.startRun({ ...IRIS_RUN, steps: 8 });
      assert.equal(await service.waitForRun(split), 'completed');
      await service.resumeRun(split, { steps: 20 });
      assert.equal(await service.waitForRun(split), 'completed');

      const a = finalState(dir, straight);
      const b = finalState(dir, split);
      assert.equal(b.step, 20);
      assert.equal(b.iterations, 20);
      assert.deepEqual([...b.values.keys()].sort(), [...a.values.keys()].sort());
      for (const [path, values] of a.values) assert.deepEqual(b.values.get(path), values, `${path} differs`);
      assert.ok(a.values.has('optimizer/Adadelta/average/dense.kernel'), 'EMA averages are checkpointed');

      const ma = await service.getMetrics(straight);
      const mb = await service.getMetrics(split);
      assert.deepEqual(
        mb.map((p) => p.step),
        Array.from({ length: 20 }, (_, i) => i + 1),
      );
      assert.deepEqual(
        mb.map((p) => p.loss),
        ma.map((p) => p.loss),
      );
    });
  },
);

test('pause mid-run checkpoints, resumes, and still matches the uninterrupted run exactly', { timeout: 180_000 }, async () => {
  await withService(async (service, dir) => {
    const config = { ...IRIS_RUN, steps: 60, checkpointEvery: 25 };
    const { runId: straight } = await service.startRun(config);
    await service.waitForRun(straight);

    const events = eventsOf(service);
    const { runId } = await service.startRun(config);
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        if (events.some((e) => e.type === 'metrics' && e.runId === runId && e.points.some((p) => p.step >= 10))) {
          clearInterval(timer);
          resolve();
        }
      }, 5);
    });
    await service.pauseRun(runId);
    assert.equal(await service.waitForRun(runId), 'paused');
    const paused = await service.getRun(runId);
    assert.ok(paused.step < 60 && paused.step >= 10, `paused at ${paused.step}`);
    assert.equal(paused.checkpoints[0]!.step, paused.step, 'a checkpoint at the pause step');

    await service.resumeRun(runId);
    assert.equal(await service.waitForRun(runId), 'completed');
    const a = finalState(dir, straight);
    const b = finalState(dir, runId);
    for (const [path, values] of a.values) assert.deepEqual(b.values.get(path), values, `${path} differs`);
    assert.deepEqual(
      (await service.getMetrics(runId)).map((p) => p.step),
      Array.from({ length: 60 }, (_, i) => i + 1),
    );
  });
});

for (const [from, to] of [
  ['batch=4', 'batch=2'],
  ['batch=1', 'batch=3'],
] as const) {
  test(
    `a checkpoint saved on ${from} resumes on ${to} and matches the one-device run within rounding`,
    { timeout: 240_000 },
    async () => {
      await withService(async (service, dir) => {
        const { runId: reference } = await service.startRun({ ...IRIS_RUN, mesh: 'batch=1', steps: 16 });
        await service.waitForRun(reference);
        const { runId } = await service.startRun({ ...IRIS_RUN, mesh: from, steps: 8 });
        await service.waitForRun(runId);
        await service.resumeRun(runId, { mesh: to, steps: 16 });
        assert.equal(await service.waitForRun(runId), 'completed');
        const resumed = await service.getRun(runId);
        assert.equal(resumed.mesh, to, 'the run records the mesh it now runs on');
        assert.equal(resumed.steps, 16);
        const a = finalState(dir, reference);
        const b = finalState(dir, runId);
        for (const [path, values] of a.values) {
          const got = b.values.get(path)!;
          values.forEach((v, i) =>
            assert.ok(Math.abs(got[i]! - v) <= 1e-4 * Math.max(1, Math.abs(v)), `${path}[${i}]: ${got[i]} vs ${v}`),
          );
        }
      });
    },
  );
}
