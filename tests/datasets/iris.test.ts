import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadDataset } from '../../src/datasets/load';
import { datasetsDir } from '../../src/datasets/builtins';
import { parseCsv } from '../../src/core/data/csv';

const irisPath = (): string => join(datasetsDir(), 'iris.csv');

test('iris.csv has the documented header, 150 rows and 50 per species', () => {
  const lines = readFileSync(irisPath(), 'utf8').trimEnd().split('\n');
  assert.equal(lines[0], 'sepal_length,sepal_width,petal_length,petal_width,species');
  assert.equal(lines.length, 151);
  const counts: Record<string, number> = {};
  for (const l of lines.slice(1)) {
    const species = l.split(',')[4];
    counts[species] = (counts[species] ?? 0) + 1;
  }
  assert.deepEqual(counts, { setosa: 50, versicolor: 50, virginica: 50 });
  // Fisher's values for samples 35 and 38 (UCI's iris.data differs there).
  assert.equal(lines[35], '4.9,3.1,1.5,0.2,setosa');
  assert.equal(lines[38], '4.9,3.6,1.4,0.1,setosa');
});

test('iris column means are the well-known values', () => {
  const raw = parseCsv(readFileSync(irisPath(), 'utf8'), { normalize: 'none' });
  const means = [0, 1, 2, 3].map((j) => {
    let s = 0;
    for (let i = 0; i < 150; i++) s += raw.x[i * 4 + j];
    return s / 150;
  });
  const expected = [5.843, 3.057, 3.758, 1.199];
  means.forEach((m, j) => assert.ok(Math.abs(m - expected[j]) < 5e-4, `column ${j}: ${m}`));
});

test('builtin iris: z-scored with stored stats, sorted species classes', async () => {
  const ds = await loadDataset({ kind: 'builtin', name: 'iris' });
  assert.equal(ds.name, 'iris');
  assert.equal(ds.numExamples, 150);
  assert.deepEqual(ds.featureShape, [4]);
  assert.deepEqual(ds.featureNames, ['sepal_length', 'sepal_width', 'petal_length', 'petal_width']);
  assert.deepEqual(ds.classNames, ['setosa', 'versicolor', 'virginica']);
  assert.equal(ds.numClasses, 3);
  assert.deepEqual([ds.y[0], ds.y[50], ds.y[100]], [0, 1, 2]);
  assert.ok(ds.normalization?.kind === 'zscore');
  assert.ok(Math.abs(ds.normalization.mean[0] - 5.8433333) < 1e-6);
  assert.ok(Math.abs(ds.normalization.std[0] - 0.8253013) < 1e-6); // population std, as scikit-learn's StandardScaler
  // First row matches StandardScaler's well-known output.
  const want = [-0.90068117, 1.01900435, -1.34022653, -1.3154443];
  want.forEach((v, j) => assert.ok(Math.abs(ds.x[j] - v) < 1e-6));
});

test('the licence file carries the attribution and the licence', () => {
  const text = readFileSync(join(datasetsDir(), 'iris.LICENSE.md'), 'utf8');
  for (const needle of [
    '10.24432/C56C76',
    'Fisher',
    'UCI Machine Learning Repository',
    'Attribution 4.0 International',
    'Section 5',
  ]) {
    assert.ok(text.includes(needle), needle);
  }
});
