/**
 * Writes checkpoints on a worker thread, so the training loop is not blocked while SQLite copies and
 * fsyncs hundreds of MB (RunStore.writeCheckpoint is synchronous: bench/checkpoint.ts measures the
 * stall). Shard buffers are transferred, not copied, by default: the caller must not reuse them.
 *
 * The thread holds its own connection, so while it commits, a write on the caller's connection (e.g.
 * appendMetrics) waits for the lock (busy timeout): buffer metric batches until `write` resolves.
 */
import { Worker } from 'node:worker_threads';
import type { CheckpointInfo } from '../../shared/api';
import type { CheckpointData } from '../../core/checkpoint/index';
import { StoreError, type StoreErrorKind } from './errors';
import type { RunStoreOptions } from './run-store';
import type { WriteCheckpointOptions } from './checkpoints';
import type { SerializedError, ThreadInit, ThreadRequest } from './checkpoint-thread';

export interface CheckpointWriterOptions extends RunStoreOptions {
  /**
   * The thread's entry module. Defaults to checkpoint-thread next to this file (the .ts source under
   * tsx, which the thread registers itself). A bundler must emit it as its own chunk and pass its URL.
   */
  workerEntry?: string | URL;
}

export interface AsyncWriteOptions extends WriteCheckpointOptions {
  /** Transfer the shard buffers to the thread (no copy; they become detached here). Default true. */
  transfer?: boolean;
}

type Reply =
  | { type: 'opened' | 'closed' }
  | { type: 'open-failed'; error: SerializedError }
  | { type: 'written'; id: number; info: CheckpointInfo }
  | { type: 'failed'; id: number; error: SerializedError };

// Eval'd CommonJS bootstrap: registers tsx in the thread when the entry is TypeScript (Node 20 does
// not pass --import hooks to worker threads), then loads the entry.
const BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
(async () => {
  if (workerData.tsxApi) (await import(workerData.tsxApi)).register();
  await import(workerData.entry);
})();`;

export class CheckpointWriter {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (i: CheckpointInfo) => void; reject: (e: Error) => void }>();
  private failure: Error | null = null;

  private constructor(private readonly worker: Worker, readonly path: string) {
    worker.on('message', (reply: Reply) => this.onReply(reply));
    worker.on('error', (error) => this.fail(error));
    worker.on('exit', () => this.fail(new StoreError('sqlite', path, `The checkpoint writer thread for ${path} exited.`)));
  }

  /** Starts the thread and opens the database there; rejects with the StoreError the open raised. */
  static async open(path: string, options: CheckpointWriterOptions = {}): Promise<CheckpointWriter> {
    const { workerEntry, ...storeOptions } = options;
    const entry = String(workerEntry ?? new URL(`./checkpoint-thread${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url));
    const tsxApi = entry.endsWith('.ts') ? import.meta.resolve('tsx/esm/api') : undefined;
    const checkpointThread: ThreadInit = { path, options: storeOptions };
    const worker = new Worker(BOOTSTRAP, { eval: true, workerData: { entry, tsxApi, checkpointThread } });
    const first = await new Promise<Reply>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    if (first.type === 'open-failed') {
      await worker.terminate();
      throw revive(first.error);
    }
    return new CheckpointWriter(worker, path);
  }

  /** Number of writes sent and not yet committed. */
  get queued(): number {
    return this.pending.size;
  }

  /** Queues a checkpoint; resolves once it is durably committed (same semantics as RunStore.writeCheckpoint). */
  write(runId: string, data: CheckpointData, options: AsyncWriteOptions = {}): Promise<CheckpointInfo> {
    if (this.failure) return Promise.reject(this.failure);
    const { transfer = true, ...writeOptions } = options;
    const id = this.nextId++;
    const request: ThreadRequest = { type: 'write', id, runId, data, options: writeOptions };
    const buffers = transfer ? [...new Set(data.tensors.flatMap((t) => t.shards.map((s) => s.data.buffer)))] : [];
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage(request, buffers.filter((b): b is ArrayBuffer => b instanceof ArrayBuffer));
    });
  }

  /** Waits for queued writes, closes the thread's connection and ends the thread. */
  async close(): Promise<void> {
    if (this.failure) return;
    const closed = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.postMessage({ type: 'close' } satisfies ThreadRequest);
    await closed;
  }

  private onReply(reply: Reply): void {
    if (reply.type !== 'written' && reply.type !== 'failed') return;
    const waiter = this.pending.get(reply.id);
    this.pending.delete(reply.id);
    if (reply.type === 'written') waiter?.resolve(reply.info);
    else waiter?.reject(revive(reply.error));
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const waiter of this.pending.values()) waiter.reject(error);
    this.pending.clear();
  }
}

function revive(e: SerializedError): Error {
  const error = e.kind ? new StoreError(e.kind as StoreErrorKind, e.file ?? '', e.message) : new Error(e.message);
  if (e.stack) error.stack = e.stack;
  return error;
}
