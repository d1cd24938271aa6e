import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, openSync, closeSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDataset } from '../../src/datasets/load';
import { globalBatchIndices, gatherRows } from '../../src/core/data/batches';

const dir = mkdtempSync(join(tmpdir(), 'dtrain-large-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const NUM_FEATURES = 10;

/** Deterministic values (no PRNG needed): feature j of row i. */
const value = (i: number, j: number): number => ((i * 7919 + j * 104729) % 100000) / 1000 - 50;

/** Writes ~20 MB of CSV in blocks (the test itself must not build one giant string). */
function writeLargeCsv(path: string, targetBytes: number): number {
  const fd = openSync(path, 'w');
  writeSync(fd, Array.from({ length: NUM_FEATURES }, (_, j) => `f${j}`).join(',') + ',label\n');
  let rows = 0;
  let bytes = 0;
  while (bytes < targetBytes) {
    const block: string[] = [];
    for (let k = 0; k < 5000; k++, rows++) {
      const cells = Array.from({ length: NUM_FEATURES }, (_, j) => value(rows, j).toFixed(3));
      block.push(cells.join(',') + `,c${rows % 5}`);
    }
    const text = block.join('\n') + '\n';
    bytes += writeSync(fd, text);
  }
  closeSync(fd);
  return rows;
}

test('a 20 MB generated CSV parses (streamed), with the right values', { timeout: 120_000 }, async () => {
  const path = join(dir, 'large.csv');
  const rows = writeLargeCsv(path, 20 * 1024 * 1024);
  assert.ok(statSync(path).size >= 20 * 1024 * 1024);
  const ds = await loadDataset({ kind: 'csv', path, normalize: 'none' });
  assert.equal(ds.numExamples, rows);
  assert.deepEqual(ds.featureShape, [NUM_FEATURES]);
  assert.deepEqual(ds.classNames, ['c0', 'c1', 'c2', 'c3', 'c4']);
  for (const i of [0, 1, 12345, rows - 1]) {
    for (let j = 0; j < NUM_FEATURES; j++) {
      assert.equal(ds.x[i * NUM_FEATURES + j], Math.fround(Number(value(i, j).toFixed(3))), `row ${i} col ${j}`);
    }
    assert.equal(ds.y[i], i % 5);
  }
  const batch = gatherRows(ds, globalBatchIndices(ds.numExamples, 256, 1, 1000));
  assert.equal(batch.x.length, 256 * NUM_FEATURES);
});
