// data.validation: a seeded, stratified held-out fraction, or a separate file read with the training
// data's classes and normalization statistics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRunData } from '../../src/datasets/run-data';
import { loadDatasetSync } from '../../src/datasets/load';

const seed = Number(process.env.DTRAIN_TEST_SEED ?? 11);
console.log(`seed ${seed} (set DTRAIN_TEST_SEED to change)`);

test('a held-out fraction is stratified by class, disjoint from training, and the same on every call', () => {
  const iris = loadDatasetSync({ kind: 'builtin', name: 'iris' });
  const a = loadRunData({ kind: 'builtin', name: 'iris', validation: { fraction: 0.2 } }, seed);
  const b = loadRunData({ kind: 'builtin', name: 'iris', validation: { fraction: 0.2 } }, seed);
  const v = a.validation!;
  assert.equal(v.numExamples, 30);
  assert.equal(a.train.numExamples, 120);
  const perClass = [0, 0, 0];
  for (const c of v.y) perClass[c]! += 1;
  assert.deepEqual(perClass, [10, 10, 10], 'round(50 × 0.2) of each class');
  // Every held-out row is an iris row, and training + held-out rows together are iris exactly once.
  const key = (x: Float32Array, i: number) => `${Array.from(x.subarray(i * 4, i * 4 + 4)).join(',')}`;
  const all = new Map<string, number>();
  for (let i = 0; i < 150; i++) all.set(key(iris.x, i) + `|${iris.y[i]}`, (all.get(key(iris.x, i) + `|${iris.y[i]}`) ?? 0) + 1);
  for (const ds of [a.train, v])
    for (let i = 0; i < ds.numExamples; i++) {
      const k = key(ds.x, i) + `|${ds.y[i]}`;
      assert.ok((all.get(k) ?? 0) > 0, `row ${k} is not an iris row or appears too often`);
      all.set(k, all.get(k)! - 1);
    }
  assert.ok([...all.values()].every((n) => n === 0));
  assert.deepEqual(Array.from(b.validation!.x), Array.from(v.x), 'the same seed gives the same rows');
  const other = loadRunData({ kind: 'builtin', name: 'iris', validation: { fraction: 0.2, seed: seed + 1 } }, seed);
  assert.notDeepEqual(Array.from(other.validation!.x), Array.from(v.x), 'validation.seed changes the rows');
});

test('a held-out CSV file is read with the training classes and normalization statistics', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dtrain-val-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'train.csv'), 'a,b,label\n0,10,cat\n2,10,dog\n4,30,cat\n6,30,dog\n');
  writeFileSync(join(dir, 'held.csv'), 'a,b,label\n3,20,dog\n');
  const { train, validation } = loadRunData(
    { kind: 'csv', path: join(dir, 'train.csv'), normalize: 'zscore', validation: { path: join(dir, 'held.csv') } },
    0,
  );
  assert.deepEqual(train.classNames, ['cat', 'dog']);
  // Training mean (3, 20), population std (√5, 10): the held-out row (3, 20) normalizes to (0, 0).
  assert.deepEqual(Array.from(validation!.x), [0, 0]);
  assert.deepEqual(Array.from(validation!.y), [1], "'dog' keeps the training label index");
  assert.throws(
    () => loadRunData({ kind: 'builtin', name: 'iris', validation: { path: join(dir, 'held.csv') } }, 0),
    /needs file training data/,
  );
});
