/**
 * Worker-thread side of CheckpointWriter: owns its own connection to the database and writes
 * checkpoints (validate, encode, hash, one durable transaction) off the caller's event loop.
 * Messages are handled one at a time, so writes commit in the order they were sent.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { CheckpointData } from '../../core/checkpoint/index';
import { StoreError } from './errors';
import { RunStore, type RunStoreOptions } from './run-store';
import type { WriteCheckpointOptions } from './checkpoints';

export interface ThreadInit {
  path: string;
  options: RunStoreOptions;
}

export type ThreadRequest =
  | { type: 'write'; id: number; runId: string; data: CheckpointData; options?: WriteCheckpointOptions }
  | { type: 'close' };

export interface SerializedError {
  name: string;
  message: string;
  kind?: string;
  file?: string;
  stack?: string;
}

export function serializeError(error: unknown): SerializedError {
  const e = error as Error;
  return {
    name: e?.name ?? 'Error',
    message: e?.message ?? String(error),
    kind: error instanceof StoreError ? error.kind : undefined,
    file: error instanceof StoreError ? error.file : undefined,
    stack: e?.stack,
  };
}

function main(port: NonNullable<typeof parentPort>, init: ThreadInit): void {
  let store: RunStore;
  try {
    store = RunStore.open(init.path, init.options);
  } catch (error) {
    port.postMessage({ type: 'open-failed', error: serializeError(error) });
    return;
  }
  port.postMessage({ type: 'opened' });
  port.on('message', (request: ThreadRequest) => {
    if (request.type === 'close') {
      store.close();
      port.postMessage({ type: 'closed' });
      port.close();
      return;
    }
    try {
      const info = store.writeCheckpoint(request.runId, request.data, request.options);
      port.postMessage({ type: 'written', id: request.id, info });
    } catch (error) {
      port.postMessage({ type: 'failed', id: request.id, error: serializeError(error) });
    }
  });
}

if (parentPort && (workerData as { checkpointThread?: ThreadInit } | null)?.checkpointThread) {
  main(parentPort, (workerData as { checkpointThread: ThreadInit }).checkpointThread);
}
