// The Optimizer and System tabs' pure data code: a variable's figures as columns, a resumed run's
// re-recorded steps replacing the tail, devices aligned on one step axis, the ridgeline's picks.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { layerOf, mergePoints, variableSeries } from '../../src/renderer/src/views/optimizer/optimizer-series';
import { spreadIndices } from '../../src/renderer/src/views/optimizer/weight-histograms';
import { deviceColumns } from '../../src/renderer/src/views/system/system-series';
import type { DeviceHistoryPoint, OptimizerStatsPoint } from '../../src/shared/api';

const stats = (step: number, ratio: number): OptimizerStatsPoint => ({
  step,
  time: 1000 + step,
  variables: ['dense.kernel', 'dense.bias'].map((path, i) => ({
    path,
    size: 4,
    accumulatedGradNorm: step + i,
    accumulatedDeltaNorm: step / 2,
    stepSize: [1, 2, 3, 4, 5].map((q) => q * step),
    updateRatio: ratio,
    paramNorm: 1,
    weightQuantiles: Array.from({ length: 9 }, (_, k) => k - 4),
    weightHistogram: { edges: [0, 1], counts: [4] },
  })),
});

test('a variable’s series: one column per figure, in step order', () => {
  const s = variableSeries([stats(10, 0.1), stats(20, 0.2)], 'dense.bias');
  assert.deepEqual([...s.steps], [10, 20]);
  assert.deepEqual([...s.accumulatedGradNorm], [11, 21]);
  assert.deepEqual([...s.stepSize[2]!], [30, 60], 'the median');
  assert.deepEqual([...s.weights[8]!], [4, 4], 'the max');
  assert.equal(layerOf('dense_1.kernel'), 'dense_1');
  assert.equal(layerOf('sequential/dense/kernel'), 'sequential/dense');
});

test('points recorded again after a resume replace the tail', () => {
  const merged = mergePoints([stats(10, 0.1), stats(20, 0.2), stats(30, 0.3)], [stats(20, 0.9)]);
  assert.deepEqual(
    merged.map((p) => [p.step, p.variables[0]!.updateRatio]),
    [
      [10, 0.1],
      [20, 0.9],
    ],
  );
});

test('devices on one step axis, NaN where a device has no sample; the earliest time of a step', () => {
  const p = (step: number, deviceId: number, time: number): DeviceHistoryPoint => ({
    step,
    deviceId,
    time,
    stepTimeMs: step + deviceId,
    samplesPerSec: 100,
    rssBytes: 10,
    peakRssBytes: 20,
  });
  const c = deviceColumns([p(5, 1, 50), p(5, 0, 49), p(9, 0, 90)]);
  assert.deepEqual(c.deviceIds, [0, 1]);
  assert.deepEqual([...c.steps], [5, 9]);
  assert.deepEqual([...c.times], [49, 90]);
  assert.deepEqual([...c.columns.stepTimeMs[0]!], [5, 9]);
  assert.deepEqual([...c.columns.stepTimeMs[1]!].map(String), ['6', 'NaN']);
});

test('the ridgeline shows at most 12 histograms, spread evenly, always the newest', () => {
  assert.deepEqual(spreadIndices(5), [0, 1, 2, 3, 4]);
  const picks = spreadIndices(100);
  assert.equal(picks.length, 12);
  assert.deepEqual([picks[0], picks.at(-1)], [0, 99]);
});
