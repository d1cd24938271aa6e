import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeBlobs, makeLinearRegression, makeSpirals, makeSynthetic } from '../../../src/core/data/synthetic';
import { makeShapes, SHAPE_CLASSES } from '../../../src/core/data/shapes';
import { datasetFingerprint } from '../../../src/core/data/fingerprint';
import { validateDataset, type Dataset } from '../../../src/core/data/types';

function classCounts(ds: Dataset): number[] {
  const counts = new Array(ds.numClasses).fill(0);
  for (const c of ds.y) counts[c]++;
  return counts;
}

test('every generator is deterministic in its seed and valid', () => {
  const specs = [
    { name: 'spirals', seed: 3 },
    { name: 'blobs', seed: 3, numFeatures: 5 },
    { name: 'linear-regression', seed: 3, targetDim: 2 },
    { name: 'synthetic-shapes', seed: 3, samplesPerClass: 20 },
  ] as const;
  for (const spec of specs) {
    const a = makeSynthetic(spec);
    validateDataset(a);
    assert.equal(datasetFingerprint(a), datasetFingerprint(makeSynthetic(spec)), spec.name);
    assert.notEqual(datasetFingerprint(a), datasetFingerprint(makeSynthetic({ ...spec, seed: 4 })), spec.name);
    assert.ok(a.x.every(Number.isFinite), spec.name);
  }
});

test('spirals: k classes of 2-D points within radius ~1', () => {
  const ds = makeSpirals({ numClasses: 4, samplesPerClass: 50, noise: 0 });
  assert.equal(ds.numExamples, 200);
  assert.deepEqual(ds.featureShape, [2]);
  assert.deepEqual(classCounts(ds), [50, 50, 50, 50]);
  for (let i = 0; i < ds.numExamples; i++) {
    const r = Math.hypot(ds.x[2 * i], ds.x[2 * i + 1]);
    assert.ok(r > 0 && r <= 1 + 1e-6);
  }
  // Without noise, arm c at radius r is arm 0 rotated by 2πc/k.
  const r0 = Math.atan2(ds.x[1], ds.x[0]);
  const r1 = Math.atan2(ds.x[3], ds.x[2]);
  const diff = (((r1 - r0) % (2 * Math.PI)) + 2 * Math.PI) % (2 * Math.PI);
  assert.ok(Math.abs(diff - Math.PI / 2) < 1e-5);
});

test('blobs: class means sit near seeded centres, spread = clusterStd', () => {
  const ds = makeBlobs({ numClasses: 3, numFeatures: 4, samplesPerClass: 2000, clusterStd: 0.5, seed: 9 });
  assert.deepEqual(ds.featureShape, [4]);
  assert.deepEqual(classCounts(ds), [2000, 2000, 2000]);
  // Within-class variance of each feature ≈ 0.25.
  for (let c = 0; c < 3; c++) {
    const rows = [...ds.y.keys()].filter((i) => ds.y[i] === c);
    const col = rows.map((i) => ds.x[i * 4]);
    const mean = col.reduce((a, b) => a + b, 0) / col.length;
    const v = col.reduce((a, b) => a + (b - mean) ** 2, 0) / col.length;
    assert.ok(Math.abs(v - 0.25) < 0.03, `variance ${v}`);
    assert.ok(Math.abs(mean) <= 10.1);
  }
});

test('linear-regression: y = Wx + b exactly when noise is 0', () => {
  const {
    dataset: ds,
    weights,
    bias,
  } = makeLinearRegression({ numExamples: 50, numFeatures: 3, targetDim: 2, noise: 0, seed: 1 });
  assert.equal(ds.task, 'regression');
  assert.equal(ds.targetDim, 2);
  assert.ok(ds.y instanceof Float32Array);
  for (let i = 0; i < 50; i++) {
    for (let k = 0; k < 2; k++) {
      let s = bias[k];
      for (let j = 0; j < 3; j++) s += weights[k][j] * ds.x[i * 3 + j];
      assert.equal(ds.y[i * 2 + k], Math.fround(s));
    }
  }
});

test('synthetic-shapes: 8×8×1 images of four classes', () => {
  const ds = makeShapes({ samplesPerClass: 30, noise: 0, seed: 2 });
  assert.deepEqual(ds.featureShape, [8, 8, 1]);
  assert.deepEqual(ds.classNames, [...SHAPE_CLASSES]);
  assert.deepEqual(classCounts(ds), [30, 30, 30, 30]);
  for (let i = 0; i < ds.numExamples; i++) {
    const img = ds.x.subarray(i * 64, i * 64 + 64);
    const on = [...img.keys()].filter((p) => img[p] > 0);
    const rows = new Set(on.map((p) => Math.floor(p / 8)));
    const cols = new Set(on.map((p) => p % 8));
    const label = SHAPE_CLASSES[ds.y[i]];
    if (label === 'horizontal-bar') assert.equal(rows.size, 1);
    if (label === 'vertical-bar') assert.equal(cols.size, 1);
    if (label === 'cross') assert.equal(on.length, 2 * rows.size - 1);
    if (label === 'box') assert.equal(on.length, 4 * rows.size - 4);
    assert.ok(on.length >= 4);
  }
});

test('option validation names generator and option', () => {
  assert.throws(() => makeSpirals({ numClasses: 1 }), { message: 'spirals: numClasses must be an integer in [2, 1000] (got 1)' });
  assert.throws(() => makeBlobs({ clusterStd: -1 }), { message: 'blobs: clusterStd must be a finite number >= 0 (got -1)' });
  assert.throws(() => makeShapes({ samplesPerClass: 2.5 }), {
    message: 'synthetic-shapes: samplesPerClass must be an integer >= 1 (got 2.5)',
  });
  assert.throws(() => makeSpirals({ seed: 0.5 }), /spirals: seed must be a safe integer/);
  assert.throws(() => makeSpirals({ sampelsPerClass: 5 } as never), /spirals: unknown option 'sampelsPerClass'/);
  assert.throws(() => makeLinearRegression({ numExamples: 1e9, numFeatures: 100 }), /exceeds the limit/);
  assert.throws(() => makeSynthetic({ name: 'mnist' } as never), /unknown synthetic dataset 'mnist' \(known: spirals, blobs/);
});
