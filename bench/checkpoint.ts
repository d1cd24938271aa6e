// Checkpoint throughput: 100 MB of optimizer state (25M float32 in 5 tensors × 4 shards) written to
// and loaded from the SQLite store, against a raw sequential write (writeSync + fsync) of the same
// bytes in the same run; and the stall writeCheckpoint imposes on its caller.
import { closeSync, fsyncSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Layout, Mesh, UNSHARDED } from '../src/core/dtensor';
import { type CheckpointData, type CheckpointTensor, tensorFromDeviceShards } from '../src/core/checkpoint';
import { shardSlices } from '../src/core/dtensor/shard';
import { RunStore, prepareCheckpoint } from '../src/engine/store/index';
import type { BenchSection } from './section';
import { median } from './timing';

const TENSORS = 5;
const SHAPE = [2000, 2500]; // 5M float32 = 20 MB per tensor
const MESH = 'batch=4';
const REPS = 5;
const TARGET = 0.5;

function optimizerState(step: number): CheckpointData {
  const layout = new Layout(['batch', UNSHARDED], Mesh.parse(MESH));
  const tensors: CheckpointTensor[] = [];
  for (let t = 0; t < TENSORS; t++) {
    const shards = layout.mesh.deviceIds.map((deviceId) => {
      const [rows, cols] = shardSlices(SHAPE, layout, deviceId);
      const data = new Float32Array(rows.size * cols.size);
      for (let i = 0; i < data.length; i++) data[i] = ((i * 2654435761 + t + step) >>> 0) / 2 ** 32;
      return { deviceId, data };
    });
    tensors.push(
      tensorFromDeviceShards({ path: `optimizer/Adadelta/slot${t}`, dtype: 'float32', globalShape: SHAPE, layout, shards }),
    );
  }
  return { step, iterations: step, state: { cursor: step }, mesh: MESH, tensors };
}

function shardBuffers(data: CheckpointData): Uint8Array[] {
  return data.tensors.flatMap((t) => t.shards.map((s) => new Uint8Array(s.data.buffer, s.data.byteOffset, s.data.byteLength)));
}

function time(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

function rawWrite(file: string, buffers: Uint8Array[]): number {
  return time(() => {
    const fd = openSync(file, 'w');
    for (const b of buffers) writeSync(fd, b);
    fsyncSync(fd);
    closeSync(fd);
  });
}

function mbps(bytes: number, ms: number): string {
  return `${(bytes / 1e6 / (ms / 1e3)).toFixed(0).padStart(5)} MB/s`;
}

function row(label: string, bytes: number, ms: number, extra = ''): void {
  console.log(`${label.padEnd(40)} ${ms.toFixed(0).padStart(6)} ms  ${mbps(bytes, ms)}  ${extra}`);
}

/** A database whose page size is fixed before the store creates its schema (for the comparison row). */
function databaseWithPageSize(file: string, pageSize: number): void {
  const db = new Database(file);
  db.pragma(`page_size = ${pageSize}`);
  db.pragma('journal_mode = WAL');
  db.close();
}

/** Median duration of `REPS` synchronous writeCheckpoint calls (after one warm-up), keep = 2. */
interface StoreTimes {
  /** Whole writeCheckpoint call: encode + hash + durable commit + WAL copy into the main file. */
  total: number;
  prepare: number;
  /** The durable commit alone (copyWal: false). */
  commit: number;
  /** The deferred WAL copy (checkpointWal) after such a commit. */
  walCopy: number;
  load: number;
}

function storeWrites(file: string, data: CheckpointData): StoreTimes {
  const store = RunStore.open(file);
  const runId = store.createRun({
    model: { type: 'mlp' },
    data: { kind: 'builtin', name: 'bench' },
    mesh: MESH,
    optimizer: {},
    steps: 1,
    globalBatchSize: 1,
    seed: 0,
  });
  store.writeCheckpoint(runId, data, { keep: 2 });
  const totals: number[] = [];
  const prepares: number[] = [];
  const commits: number[] = [];
  const copies: number[] = [];
  for (let r = 0; r < REPS; r++) {
    totals.push(time(() => store.writeCheckpoint(runId, data, { keep: 2 })));
    let prepared!: ReturnType<typeof prepareCheckpoint>;
    prepares.push(time(() => (prepared = prepareCheckpoint(file, data, 256 * 2 ** 20))));
    commits.push(time(() => store.writePreparedCheckpoint(runId, prepared, { keep: 2, copyWal: false })));
    copies.push(time(() => store.checkpointWal()));
  }
  const id = store.listCheckpoints(runId).at(-1)!.id;
  const loads = Array.from({ length: REPS }, () => time(() => store.loadCheckpoint(id)));
  store.close();
  return {
    total: median(totals),
    prepare: median(prepares),
    commit: median(commits),
    walCopy: median(copies),
    load: median(loads),
  };
}

export const checkpointSection: BenchSection = {
  name: 'checkpoint',
  description: 'SQLite checkpoint write/load of 100 MB optimizer state vs raw write+fsync; writeCheckpoint stall',
  async run() {
    const dir = mkdtempSync(join(tmpdir(), 'dtrain-bench-ckpt-'));
    try {
      const data = optimizerState(1);
      const buffers = shardBuffers(data);
      const bytes = buffers.reduce((n, b) => n + b.byteLength, 0);
      console.log(
        `${data.tensors.length} tensors × 4 shards, ${(bytes / 1e6).toFixed(0)} MB float32, files in ${dir}, median of ${REPS}`,
      );
      const raw = median(Array.from({ length: REPS + 1 }, () => rawWrite(join(dir, 'raw.bin'), buffers)).slice(1));
      const rawRead = median(Array.from({ length: REPS }, () => time(() => readFileSync(join(dir, 'raw.bin')))));
      const small = join(dir, 'pages-4k.db');
      databaseWithPageSize(small, 4096);
      const store4k = storeWrites(small, data);
      const store = storeWrites(join(dir, 'store.db'), data);

      const verdict = (ms: number) =>
        `${(raw / ms).toFixed(2)}× raw, target ≥ ${TARGET}× → ${raw / ms >= TARGET ? 'PASS' : 'MISS'}`;
      row('raw writeSync + fsync', bytes, raw);
      row('writeCheckpoint, whole call (64 KiB pages)', bytes, store.total, verdict(store.total));
      row('  validate + encode + hash', bytes, store.prepare);
      row('  durable commit (copyWal: false)', bytes, store.commit);
      row('  prepare + durable commit', bytes, store.prepare + store.commit, verdict(store.prepare + store.commit));
      row('  WAL → main file copy (checkpointWal)', bytes, store.walCopy);
      row('writeCheckpoint (4 KiB pages, comparison)', bytes, store4k.total, `${(raw / store4k.total).toFixed(2)}× raw`);
      row('raw readFileSync of the same bytes', bytes, rawRead);
      row('loadCheckpoint (verified)', bytes, store.load, `${(rawRead / store.load).toFixed(2)}× raw read`);
      console.log(
        `stall: writeCheckpoint is synchronous and blocks its caller for the whole ${store.total.toFixed(0)} ms ` +
          `(${(store.prepare + store.commit).toFixed(0)} ms with copyWal: false, the WAL copy left for later).`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
