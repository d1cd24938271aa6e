// Two processes (two app instances) create and write the same database file at once, different runs.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { RunStore } from '../../../src/engine/store/index';
import { assembleGlobal } from '../../../src/core/checkpoint/index';
import { forkFixture } from './fixtures/child';
import { pattern } from './fixtures/crash-model';
import { tempDir } from './helpers';

const tmp = tempDir('concurrent');
after(() => tmp.cleanup());

test('two processes creating the same new database files at once both succeed', { timeout: 60_000 }, async () => {
  const files = Array.from({ length: 40 }, (_, i) => tmp.file(`race-${i}.db`));
  const children = [0, 1].map(() => forkFixture('concurrent-writer.ts'));
  try {
    await Promise.all(children.map((c) => c.message('loaded')));
    children.forEach((c) => c.proc.send({ files }));
    for (const c of children) {
      const m = await Promise.race([c.message('done'), c.message('failed')]);
      assert.equal(m.type, 'done', String(m.message));
    }
    for (const file of files) {
      const store = RunStore.open(file, { readonly: true });
      assert.equal(store.listRuns().length, 2);
      store.close();
    }
  } finally {
    await Promise.all(children.map((c) => c.kill()));
  }
});

for (const round of [1, 2]) {
  test(
    `two writer processes on one new database: no errors, no corruption, all data there (round ${round})`,
    { timeout: 60_000 },
    async () => {
      const db = tmp.file(`shared-${round}.db`); // does not exist yet: both race to create and migrate it
      const children = ['alpha', 'beta'].map(() => forkFixture('concurrent-writer.ts'));
      try {
        await Promise.all(children.map((c) => c.message('loaded')));
        const iterations = 40;
        children.forEach((c, i) => c.proc.send({ db, name: i === 0 ? 'alpha' : 'beta', iterations }));
        const results = await Promise.all(
          children.map(async (c) => {
            const m = await Promise.race([c.message('done'), c.message('failed')]);
            assert.equal(m.type, 'done', String(m.message));
            return m as { runId: string; step: number; checkpoints: number; start: number; end: number };
          }),
        );
        assert.ok(
          Math.max(...results.map((r) => r.start)) < Math.min(...results.map((r) => r.end)),
          'the writers overlapped in time',
        );
        const store = RunStore.open(db);
        assert.deepEqual(store.integrityCheck(), ['ok']);
        const runs = store.listRuns();
        assert.deepEqual(runs.map((r) => r.name).sort(), ['alpha', 'beta']);
        for (const r of results) {
          assert.equal(r.step, iterations * 10);
          assert.equal(r.checkpoints, iterations / 5);
          const detail = store.getRun(r.runId);
          assert.equal(detail.status, 'completed');
          assert.equal(detail.step, r.step);
          assert.equal(detail.devices.length, 2);
          assert.deepEqual(
            store.getMetrics(r.runId).map((p) => p.step),
            Array.from({ length: r.step }, (_, i) => i + 1),
          );
          assert.equal(detail.checkpoints.length, 2);
          const latest = store.latestCheckpoint(r.runId)!;
          assert.equal(latest.step, r.step);
          assert.deepEqual(assembleGlobal(latest.tensors[0]), pattern(r.step, 2048 * 256));
        }
        store.close();
      } finally {
        await Promise.all(children.map((c) => c.kill()));
      }
    },
  );
}
