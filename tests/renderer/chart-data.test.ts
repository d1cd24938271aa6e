/** The renderer's pure data code: growable chart columns, run metric history, curve joins. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SeriesStore, lowerBound } from '../../src/renderer/src/charts/series-store';
import { RunMetrics, metricColumn } from '../../src/renderer/src/views/live/run-metrics';
import { finiteRange, joinCurves } from '../../src/renderer/src/views/runs/join';
import type { MetricPoint } from '../../src/shared/api';

const pt = (step: number, loss: number, metrics: Record<string, number> = {}): MetricPoint => ({
  step,
  loss,
  metrics,
  learningRate: 0.1,
  gradNorm: 1,
  stepTimeMs: 2,
  samplesPerSec: 500,
  time: 1000 + step * 10,
});

test('SeriesStore grows past its capacity and keeps every value; gaps stay NaN', () => {
  const store = new SeriesStore(['x', 'y'], 4);
  for (let i = 0; i < 100_000; i++) store.append({ x: i, y: i % 7 === 0 ? Number.NaN : i * 2 });
  assert.equal(store.length, 100_000);
  assert.equal(store.column('x')[99_999], 99_999);
  assert.ok(Number.isNaN(store.column('y')[7]));
  assert.deepEqual(store.range('y'), [2, 199_998]);
  assert.ok(store.addColumn('late'));
  assert.ok(Number.isNaN(store.column('late')[5]));
  store.append({ x: 100_000, y: 1, late: 3 });
  assert.equal(store.last('late'), 3);
});

test('SeriesStore.truncate drops the tail and recomputes ranges', () => {
  const store = new SeriesStore(['x'], 2);
  [5, 1, 9, 3].forEach((x) => store.append({ x }));
  store.truncate(2);
  assert.deepEqual([...store.column('x')], [5, 1]);
  assert.deepEqual(store.range('x'), [1, 5]);
  assert.equal(lowerBound(Float64Array.from([1, 3, 3, 7]), 3), 1);
  assert.equal(lowerBound(Float64Array.from([1, 3, 3, 7]), 8), 4);
});

test('RunMetrics appends points, reports new metric names, and replaces re-done steps', () => {
  const run = new RunMetrics();
  assert.equal(run.append([pt(1, 0.9), pt(2, 0.8)]), false);
  assert.equal(run.append([pt(3, 0.7, { accuracy: 0.5 })]), true, 'a metric appeared');
  assert.deepEqual(run.metricNames, ['accuracy']);
  // Resumed from a checkpoint at step 1: steps 2.. come again with new values.
  run.append([pt(2, 0.75), pt(3, 0.65, { accuracy: 0.6 }), pt(4, 0.6, { accuracy: 0.7 })]);
  assert.deepEqual([...run.store.column('step')], [1, 2, 3, 4]);
  assert.deepEqual([...run.store.column('loss')], [0.9, 0.75, 0.65, 0.6]);
  assert.equal(run.store.last(metricColumn('accuracy')), 0.7);
  assert.equal(run.msPerStep(), 10);
  assert.equal(run.etaMs(10), 50, '5 steps left at 10 ms each');
});

test('joinCurves aligns runs on the union of steps with NaN gaps', () => {
  const [x, a, b] = joinCurves([
    [pt(0, 1), pt(2, 0.5)],
    [pt(1, 2), pt(2, 1.5), pt(3, Number.POSITIVE_INFINITY)],
  ]);
  assert.deepEqual([...x], [0, 1, 2, 3]);
  assert.deepEqual([...(a as Float64Array)].map(String), ['1', 'NaN', '0.5', 'NaN']);
  assert.deepEqual([...(b as Float64Array)].map(String), ['NaN', '2', '1.5', 'NaN']);
  assert.deepEqual(finiteRange([a as Float64Array, b as Float64Array]), [0.5, 2]);
  assert.equal(finiteRange([Float64Array.from([Number.NaN])]), null);
});

test('RunMetrics merges a late evaluation point into its step without dropping newer steps', () => {
  const run = new RunMetrics();
  run.append([pt(1, 0.9), pt(2, 0.8), pt(3, 0.7)]);
  assert.equal(run.append([pt(2, 0.8, { val_loss: 0.85 })]), true, 'val_loss is a new metric');
  assert.deepEqual([...run.store.column('step')], [1, 2, 3], 'step 3 is kept');
  assert.deepEqual([...run.store.column(metricColumn('val_loss'))].map(String), ['NaN', '0.85', 'NaN']);
  assert.equal(run.store.lastFinite(metricColumn('val_loss')), 0.85);
});

test('chart columns reach uPlot with null gaps (a NaN spiked log axes, froze zoom’s y and misplaced cursor dots)', async () => {
  const { Buffers, transformColumns } = await import('../../src/renderer/src/charts/chart-transform');
  const raw = [Float64Array.of(1, 2, 3, 4), Float64Array.of(0.5, NaN, 0.25, -1)] as never;
  for (const logY of [false, true]) {
    const { data, numeric, range } = transformColumns(raw, null, { smoothing: 0, logY, x: 'step' }, true, new Buffers());
    assert.deepEqual(data[1], logY ? [0.5, null, 0.25, null] : [0.5, null, 0.25, -1], 'every gap is null, never NaN');
    assert.equal(String(numeric[0]![1]), 'NaN');
    assert.deepEqual(range, logY ? [0.25, 0.5] : [-1, 0.5]);
  }
  const wall = transformColumns(
    [Float64Array.of(1, 2)] as never,
    Float64Array.of(5000, 7000),
    { smoothing: 0, logY: false, x: 'wall' },
    false,
    new Buffers(),
  );
  assert.deepEqual(Array.from(wall.data[0] as ArrayLike<number>), [5, 7], 'wall clock: epoch seconds');
});

test('a y range over float noise (a smoothed constant) is padded like a flat line', async () => {
  const { padRange } = await import('../../src/renderer/src/charts/chart-options');
  const [lo, hi] = padRange(3, 3.0000000000000004, false);
  assert.ok(Math.abs(lo - 2.7) < 1e-12 && Math.abs(hi - 3.3) < 1e-12, `${lo}..${hi}: ±10% around 3`);
  assert.deepEqual(padRange(1, 2, false), [0.95, 2.05]);
});
