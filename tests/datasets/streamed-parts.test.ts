// Named .npy / .npz arrays (one per model input and target) read by offset, a batch at a time
// (src/datasets/streamed-parts.ts): every batch holds the bits the whole-file loader gives for the same
// rows, each input at its place in the packed row; a compressed input member is loaded as before; the
// memory check knows from the headers which stream; validation reads the inputs' headers, not their values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeNpy, encodeNpz } from '../../src/core/data/index';
import { loadDatasetSync } from '../../src/datasets/load';
import { openRows } from '../../src/datasets/run-rows';
import { dataStreaming } from '../../src/datasets/streaming';
import { inspectDataSource } from '../../src/datasets/inspect-source';
import { fullLoaders } from '../../src/datasets/load';
import { seededRandom, testSeed } from '../helpers/seed';

const dir = mkdtempSync(join(tmpdir(), 'dtrain-stream-parts-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const rand = seededRandom(testSeed('streamed named arrays'));
const n = 11;
const arrays = {
  numeric: { values: Array.from({ length: n * 3 }, () => rand() * 10 - 5), dtype: 'float64' as const, shape: [n, 3] },
  body: { values: Array.from({ length: n * 4 }, () => Math.floor(rand() * 50)), dtype: 'int32' as const, shape: [n, 2, 2] },
  priority: { values: Array.from({ length: n * 2 }, () => rand()), dtype: 'float32' as const, shape: [n, 2] },
  department: { values: Array.from({ length: n }, () => Math.floor(rand() * 4)), dtype: 'int64' as const, shape: [n] },
};
const named = { x: { numeric: 'numeric', body: 'body' }, y: { priority: 'priority', department: 'department' } };
const batch = Uint32Array.from([3, 4, 5, 0, n - 1, 7, 7, 2, 1, 6]);
const hex = (a: Float32Array | Int32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');

function npz(file: string, compressed: boolean): string {
  const path = join(dir, file);
  writeFileSync(
    path,
    encodeNpz(
      Object.entries(arrays).map(([name, a]) => ({ name, ...a })),
      { compress: compressed },
    ),
  );
  return path;
}

test('a stored .npz and .npy files stream each named input into its place, as the loader packs them', async () => {
  const npyFiles = Object.fromEntries(
    Object.entries(arrays).map(([name, a]) => {
      const path = join(dir, `${name}.npy`);
      writeFileSync(path, encodeNpy(a.values, a.dtype, a.shape));
      return [name, path];
    }),
  );
  const sources = [
    { kind: 'npz' as const, path: npz('stored.npz', false), ...named },
    {
      kind: 'npy' as const,
      x: { numeric: npyFiles.numeric!, body: npyFiles.body! },
      y: { priority: npyFiles.priority!, department: npyFiles.department! },
    },
  ];
  for (const source of sources) {
    const rows = await openRows(source);
    try {
      assert.equal(rows.streamed, true, `${source.kind}: streamed`);
      assert.deepEqual((await dataStreaming(source)).streamed, true);
      const loaded = loadDatasetSync(source);
      const got = rows.readRows(batch);
      const want = { x: new Float32Array(batch.length * 7), y: new Float32Array(batch.length * 3) };
      batch.forEach((i, r) => {
        want.x.set(loaded.x.subarray(i * 7, (i + 1) * 7), r * 7);
        want.y.set(loaded.y.subarray(i * 3, (i + 1) * 3), r * 3);
      });
      assert.equal(hex(got.x), hex(want.x), `${source.kind}: the batch's inputs`);
      assert.equal(hex(got.y as Float32Array), hex(want.y), `${source.kind}: the batch's targets`);
      // body (4 ids) then numeric (3 values): by name.
      assert.deepEqual(Array.from(got.x.subarray(0, 4)), arrays.body.values.slice(3 * 4, 4 * 4));
      assert.deepEqual(
        rows.xParts!.map((p) => p.name),
        ['body', 'numeric'],
      );
    } finally {
      rows.close?.();
    }
  }
});

test('a compressed input member is loaded whole, as a single x is', async () => {
  const source = { kind: 'npz' as const, path: npz('compressed.npz', true), ...named };
  const rows = await openRows(source);
  assert.equal(rows.streamed, false);
  assert.equal((await dataStreaming(source)).streamed, false);
});

test('validation reads the named inputs by their headers, never loading the source', async () => {
  const source = { kind: 'npz' as const, path: npz('inspect.npz', false), ...named };
  const { loadDataset, loadDatasetSync: sync } = fullLoaders;
  fullLoaders.loadDataset = fullLoaders.loadDatasetSync = () => assert.fail('validation loaded the source whole');
  try {
    const shape = await inspectDataSource(source);
    assert.equal(shape.examples, n);
    assert.deepEqual(shape.featureShape, [7]);
    assert.deepEqual(
      shape.yParts!.map((p) => [p.name, p.shape, p.integral]),
      [
        ['department', [1], true],
        ['priority', [2], false],
      ],
    );
  } finally {
    Object.assign(fullLoaders, { loadDataset, loadDatasetSync: sync });
  }
});
