// The optimizer-state and per-device histories in SQLite: stored and read back in step order (with
// NaN kept), replaced when a resumed run re-records a step, rewound with the metrics to a checkpoint
// or to the start, and deleted with their run.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RunStore } from '../../../src/engine/store/index';
import type { DeviceHistoryPoint, OptimizerStatsPoint } from '../../../src/shared/api';
import { sampleCheckpoint, sampleConfig, tempDir } from './helpers';

function statsAt(step: number, updateRatio = step / 100): OptimizerStatsPoint {
  return {
    step,
    time: 1_700_000_000_000 + step,
    variables: [
      {
        path: 'dense.kernel',
        size: 12,
        accumulatedGradNorm: 0.5,
        accumulatedDeltaNorm: 0.25,
        stepSize: [0.1, 0.2, 0.3, 0.4, 0.5],
        updateRatio,
        paramNorm: 2,
        weightQuantiles: [-1, -0.5, 0, 0, 0, 0, 0, 0.5, 1],
        weightHistogram: { edges: [-1, 0, 1], counts: [6, 6] },
      },
    ],
  };
}

const device = (step: number, deviceId: number): DeviceHistoryPoint => ({
  step,
  time: 1_700_000_000_000 + step,
  deviceId,
  stepTimeMs: 4,
  samplesPerSec: 3000,
  rssBytes: 100 + step,
  peakRssBytes: 200 + step,
});

test('optimizer stats and device history: round trip, replace, rewind to a checkpoint and to the start, delete', () => {
  const tmp = tempDir('history');
  const store = RunStore.open(tmp.file('h.db'));
  try {
    const id = store.createRun(sampleConfig());
    store.appendOptimizerStats(id, [statsAt(6), statsAt(3, NaN)]);
    store.appendDeviceHistory(id, [device(3, 1), device(3, 0), device(6, 0)]);
    const read = store.getOptimizerStats(id);
    assert.deepEqual(
      read.map((p) => p.step),
      [3, 6],
    );
    assert.ok(Number.isNaN(read[0]!.variables[0]!.updateRatio), 'NaN survives JSON');
    assert.deepEqual(read[1], statsAt(6));
    assert.deepEqual(
      store.getOptimizerStats(id, 3).map((p) => p.step),
      [6],
    );
    assert.deepEqual(store.getDeviceHistory(id), [device(3, 0), device(3, 1), device(6, 0)]);
    store.appendOptimizerStats(id, [statsAt(6, 0.9)]);
    assert.equal(store.getOptimizerStats(id)[1]!.variables[0]!.updateRatio, 0.9, 'a re-recorded step replaces the row');

    const at4 = store.writeCheckpoint(id, sampleCheckpoint(4), { keep: 5 });
    store.rewindTo(id, at4.id);
    assert.deepEqual(
      store.getOptimizerStats(id).map((p) => p.step),
      [3],
    );
    assert.deepEqual(
      store.getDeviceHistory(id).map((p) => p.step),
      [3, 3],
    );
    store.rewindToStart(id);
    assert.deepEqual([store.getOptimizerStats(id), store.getDeviceHistory(id)], [[], []]);

    store.appendOptimizerStats(id, [statsAt(3)]);
    store.deleteRun(id);
    assert.throws(() => store.getOptimizerStats(id), /No run/);
  } finally {
    store.close();
    tmp.cleanup();
  }
});
