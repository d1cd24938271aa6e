import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listBuiltinDatasets, loadDataset, loadDatasetSync, type DatasetSource } from '../../src/datasets/load';
import { datasetFingerprint } from '../../src/core/data/fingerprint';
import { DatasetError } from '../../src/core/data/types';

const dir = mkdtempSync(join(tmpdir(), 'dtrain-load-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function rejects(source: DatasetSource, message: string): Promise<void> {
  await assert.rejects(loadDataset(source), (err: unknown) => {
    assert.ok(err instanceof DatasetError);
    assert.equal(err.message, message);
    return true;
  });
  assert.throws(() => loadDatasetSync(source), { message });
}

test('listBuiltinDatasets names each builtin with a one-line description', () => {
  const list = listBuiltinDatasets();
  assert.deepEqual(
    list.map((b) => b.name),
    ['iris', 'synthetic-shapes', 'spirals', 'blobs', 'linear-regression'],
  );
  for (const b of list) {
    assert.ok(b.description.length > 10 && !b.description.includes('\n'), b.name);
  }
});

test('every builtin loads', async () => {
  for (const { name, task } of listBuiltinDatasets()) {
    const ds = await loadDataset({ kind: 'builtin', name });
    assert.equal(ds.task, task, name);
    assert.ok(ds.numExamples > 0);
    assert.equal(datasetFingerprint(ds), datasetFingerprint(loadDatasetSync({ kind: 'builtin', name })));
  }
  const shapes = await loadDataset({ kind: 'builtin', name: 'synthetic-shapes' });
  assert.deepEqual(shapes.featureShape, [8, 8, 1]);
});

test('synthetic sources pass their options', async () => {
  const ds = await loadDataset({ kind: 'synthetic', name: 'blobs', numClasses: 5, samplesPerClass: 7, seed: 3 });
  assert.equal(ds.numExamples, 35);
  assert.equal(ds.numClasses, 5);
});

test('csv sources: name from the file, options passed through, .tsv uses tabs', async () => {
  const csv = join(dir, 'my-data.csv');
  writeFileSync(csv, 'a,b,label\n1,2,x\n3,4,y\n');
  const ds = await loadDataset({ kind: 'csv', path: csv, normalize: 'none' });
  assert.equal(ds.name, 'my-data');
  assert.deepEqual(Array.from(ds.x), [1, 2, 3, 4]);
  const tsv = join(dir, 't.tsv');
  writeFileSync(tsv, 'a\tb\n1\tp\n2\tq\n');
  assert.deepEqual((await loadDataset({ kind: 'csv', path: tsv, name: 'tabs' })).classNames, ['p', 'q']);
});

test('file problems are one clear line', async () => {
  const missing = join(dir, 'nope.csv');
  await rejects({ kind: 'csv', path: missing }, `cannot read dataset file '${missing}': no such file`);
  await rejects({ kind: 'csv', path: dir }, `cannot read dataset file '${dir}': it is a directory`);
  if (process.getuid?.() !== 0) {
    const locked = join(dir, 'locked.csv');
    writeFileSync(locked, 'a,b\n1,2\n');
    chmodSync(locked, 0);
    await rejects({ kind: 'csv', path: locked }, `cannot read dataset file '${locked}': permission denied`);
  }
});

test('parse errors are prefixed with the file path', async () => {
  const bad = join(dir, 'bad.csv');
  writeFileSync(bad, 'a,b,c\n1,2,3\n4,5\n');
  await rejects({ kind: 'csv', path: bad }, `${bad}: line 3: expected 3 cells, found 2`);
  const empty = join(dir, 'empty.csv');
  writeFileSync(empty, '');
  await rejects({ kind: 'csv', path: empty }, `${empty}: CSV is empty (no header and no data rows)`);
});

test('source errors', async () => {
  await rejects(
    { kind: 'builtin', name: 'mnist' },
    "unknown builtin dataset 'mnist' (known: iris, synthetic-shapes, spirals, blobs, linear-regression)",
  );
  await rejects(
    { kind: 'parquet' } as never,
    "unknown dataset source kind 'parquet' (use csv, builtin, synthetic, npz, npy or images)",
  );
  await rejects({ kind: 'csv', path: '' }, 'csv dataset source needs a path');
});

test('multi-byte characters and quoted newlines across stream chunk boundaries', async () => {
  // > 1 MiB so the streamed read crosses chunk boundaries; labels use 2- and 3-byte UTF-8.
  const rows: string[] = ['x,"quoted\nheader",label'];
  const names = ['é', 'ü', '中', 'naïve "x"'];
  for (let i = 0; i < 40000; i++) rows.push(`${i},${i % 13},"${names[i % 4].replace(/"/g, '""')}\nline2"`);
  const path = join(dir, 'utf8.csv');
  writeFileSync(path, rows.join('\r\n') + '\r\n');
  const streamed = await loadDataset({ kind: 'csv', path });
  const whole = loadDatasetSync({ kind: 'csv', path });
  assert.equal(streamed.numExamples, 40000);
  assert.deepEqual(streamed.classNames, ['naïve "x"\nline2', 'é\nline2', 'ü\nline2', '中\nline2']);
  assert.equal(datasetFingerprint(streamed), datasetFingerprint(whole));
  assert.deepEqual(streamed.featureNames, ['x', 'quoted\nheader']);
});
