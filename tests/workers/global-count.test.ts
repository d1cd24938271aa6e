// The mean over the global batch uses the count every device derives from the global batch (the
// scalars' all-reduce now runs behind the update and only checks it): on 2 workers each computes 20
// examples, the report and the mean are over 40, and the losses equal one worker's (batch 40 over
// iris's 150 rows: the epoch's remainder is dropped, so every step has 40).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IRIS_MLP, startSession } from '../engine/coordinator/helpers';

async function reports(mesh: string) {
  const session = await startSession(mesh, {
    ...IRIS_MLP,
    globalBatchSize: 40,
    layouts: { 'dense.*kernel': ['batch', 'unsharded'] },
  });
  try {
    const out: { count: number; loss: number }[] = [];
    session.onEvent((e) => e.type === 'step' && e.deviceId === 0 && out.push({ count: e.report.count, loss: e.report.loss }));
    await session.train(0, 5);
    return out;
  } finally {
    await session.close();
  }
}

test('1 and 2 workers: count 40 every step and the same losses', { timeout: 120_000 }, async () => {
  const one = await reports('batch=1');
  const two = await reports('batch=2');
  assert.deepEqual(
    one.map((r) => r.count),
    [40, 40, 40, 40, 40],
  );
  assert.deepEqual(
    two.map((r) => r.count),
    [40, 40, 40, 40, 40],
  );
  one.forEach((r, i) => assert.ok(Math.abs(r.loss - two[i]!.loss) < 1e-5, `step ${i}: ${r.loss} vs ${two[i]!.loss}`));
});
