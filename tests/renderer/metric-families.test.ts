/** Which curves share a chart, and how runs' curves are joined for compare. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { metricFamilies } from '../../src/renderer/src/views/live/metric-families';
import { joinCurves, metricNames } from '../../src/renderer/src/views/runs/join';
import type { MetricPoint } from '../../src/shared/api';

test('each training metric is paired with its val_ twin; an orphan val_ metric stands alone', () => {
  assert.deepEqual(metricFamilies(['loss', 'accuracy', 'val_loss', 'val_accuracy', 'val_auc', 'mae']), [
    { name: 'loss', train: 'loss', val: 'val_loss' },
    { name: 'accuracy', train: 'accuracy', val: 'val_accuracy' },
    { name: 'val_auc', train: null, val: 'val_auc' },
    { name: 'mae', train: 'mae', val: null },
  ]);
});

test('joinCurves picks any metric; metricNames lists loss first then what runs reported', () => {
  const p = (step: number, metrics: Record<string, number>): MetricPoint => ({
    step,
    loss: 1,
    metrics,
    learningRate: 1,
    gradNorm: 1,
    stepTimeMs: 1,
    samplesPerSec: 1,
    time: step,
  });
  const runs = [[p(0, { accuracy: 0.5 }), p(2, { accuracy: 0.7, val_accuracy: 0.6 })], [p(1, { accuracy: 0.4 })]];
  const [x, a, b] = joinCurves(runs, 'val_accuracy');
  assert.deepEqual([...x], [0, 1, 2]);
  assert.deepEqual([...(a as Float64Array)].map(String), ['NaN', 'NaN', '0.6']);
  assert.deepEqual([...(b as Float64Array)].map(String), ['NaN', 'NaN', 'NaN']);
  assert.deepEqual(metricNames(runs), ['loss', 'accuracy', 'val_accuracy']);
});
