// The best checkpoint (early stopping) survives retention and is the default; val_* metrics merge into a step's point.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RunStore } from '../../../src/engine/store/index';
import { point, sampleCheckpoint, sampleConfig, tempDir } from './helpers';

test('a best checkpoint is kept whatever keep says, and defaultCheckpoint picks it over newer ones', (t) => {
  const tmp = tempDir('best');
  t.after(tmp.cleanup);
  const store = RunStore.open(tmp.file('s.db'));
  t.after(() => store.close());
  const runId = store.createRun(sampleConfig());
  store.writeCheckpoint(runId, sampleCheckpoint(10), { keep: 2 });
  const best = store.writeCheckpoint(runId, sampleCheckpoint(20), { keep: 2, best: true });
  for (const step of [30, 40, 50]) store.writeCheckpoint(runId, sampleCheckpoint(step), { keep: 2 });
  const list = store.listCheckpoints(runId);
  assert.deepEqual(
    list.map((c) => c.step),
    [20, 40, 50],
    'newest 2 plus the best',
  );
  assert.deepEqual(
    list.filter((c) => c.best).map((c) => c.id),
    [best.id],
  );
  assert.equal(store.defaultCheckpoint(runId).checkpoint?.step, 20);
  assert.equal(store.latestValidCheckpoint(runId).checkpoint?.step, 50);

  // A later best replaces the mark; the old best becomes ordinary, and retention (newest 2 ordinary) drops it.
  store.writeCheckpoint(runId, sampleCheckpoint(60), { keep: 2, best: true });
  assert.deepEqual(
    store.listCheckpoints(runId).map((c) => [c.step, c.best ?? false]),
    [
      [40, false],
      [50, false],
      [60, true],
    ],
  );
  assert.equal(store.defaultCheckpoint(runId).checkpoint?.step, 60);
  assert.equal(store.checkpointAtStep(runId, 50).step, 50);
  assert.throws(() => store.checkpointAtStep(runId, 45), /no checkpoint at step 45 \(checkpoints at: 40, 50, 60\)/);
});

test('without a best checkpoint the default is the newest valid one', (t) => {
  const tmp = tempDir('best2');
  t.after(tmp.cleanup);
  const store = RunStore.open(tmp.file('s.db'));
  t.after(() => store.close());
  const runId = store.createRun(sampleConfig());
  store.writeCheckpoint(runId, sampleCheckpoint(10));
  store.writeCheckpoint(runId, sampleCheckpoint(20));
  assert.equal(store.defaultCheckpoint(runId).checkpoint?.step, 20);
});

test('mergeMetrics adds val_* figures to the training point at that step, keeping its own', (t) => {
  const tmp = tempDir('merge');
  t.after(tmp.cleanup);
  const store = RunStore.open(tmp.file('s.db'));
  t.after(() => store.close());
  const runId = store.createRun(sampleConfig());
  store.appendMetrics(runId, [point(1, 0.9, { accuracy: 0.5 }), point(2, 0.8, { accuracy: 0.6 })]);
  const merged = store.mergeMetrics(runId, 2, { val_loss: 0.75, val_accuracy: NaN });
  assert.equal(merged?.loss, 0.8);
  const stored = store.getMetrics(runId);
  assert.deepEqual(stored[0]!.metrics, { accuracy: 0.5 });
  assert.equal(stored[1]!.metrics.accuracy, 0.6);
  assert.equal(stored[1]!.metrics.val_loss, 0.75);
  assert.ok(Number.isNaN(stored[1]!.metrics.val_accuracy));
  assert.equal(store.mergeMetrics(runId, 3, { val_loss: 1 }), null, 'no training point at step 3');
});

test('a stop reason is stored with the run and cleared with null', (t) => {
  const tmp = tempDir('reason');
  t.after(tmp.cleanup);
  const store = RunStore.open(tmp.file('s.db'));
  t.after(() => store.close());
  const runId = store.createRun(sampleConfig());
  store.updateRun(runId, { status: 'completed', stopReason: 'early-stopped at step 30; best step 10 val_loss 0.5' });
  assert.equal(store.getRun(runId).stopReason, 'early-stopped at step 30; best step 10 val_loss 0.5');
  store.updateRun(runId, { stopReason: null });
  assert.equal(store.getRun(runId).stopReason, null);
});
