// The New-run preview: what a source holds, with image folders counted rather than decoded.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { describeDataSource } from '../../src/datasets/describe-source';

const dir = mkdtempSync(join(tmpdir(), 'dtrain-describe-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('iris: 150 rows of 4 features, 50 of each species', async () => {
  const s = await describeDataSource({ kind: 'builtin', name: 'iris' });
  assert.deepEqual([s.unit, s.examples, s.featureShape, s.task], ['rows', 150, [4], 'classification']);
  assert.deepEqual(
    s.classes?.map((c) => c.count),
    [50, 50, 50],
  );
});

test('a CSV: rows, features and label counts as the file holds them', async () => {
  const file = join(dir, 'small.csv');
  writeFileSync(file, 'a,b,c,label\n1,2,3,cat\n4,5,6,dog\n7,8,9,cat\n1,1,1,cat\n');
  const s = await describeDataSource({ kind: 'csv', path: file, labelColumn: 'label' });
  assert.deepEqual([s.examples, s.featureShape], [4, [3]]);
  assert.deepEqual(s.classes, [
    { name: 'cat', count: 3 },
    { name: 'dog', count: 1 },
  ]);
});

test('an image folder is counted per class without decoding a file', async () => {
  const root = join(dir, 'shapes');
  for (const [cls, n] of [
    ['circle', 3],
    ['square', 2],
  ] as const) {
    mkdirSync(join(root, cls), { recursive: true });
    // Not images at all: describing must not open them.
    for (let i = 0; i < n; i++) writeFileSync(join(root, cls, `${i}.${i % 2 ? 'jpg' : 'png'}`), 'not an image');
    writeFileSync(join(root, cls, 'notes.txt'), 'ignored');
  }
  const s = await describeDataSource({ kind: 'images', path: root, size: [28, 32], channels: 1 });
  assert.deepEqual(s, {
    unit: 'images',
    examples: 5,
    featureShape: [28, 32, 1],
    task: 'classification',
    classes: [
      { name: 'circle', count: 3 },
      { name: 'square', count: 2 },
    ],
  });
  await assert.rejects(
    describeDataSource({ kind: 'images', path: join(dir, 'nope'), size: [8, 8], channels: 1 }),
    /no such folder/,
  );
});
