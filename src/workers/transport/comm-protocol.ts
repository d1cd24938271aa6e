// The messages between a device worker's main thread (ThreadedCollectives) and its communication
// thread (comm-thread.ts), which owns the sockets and the RingCollectives. Arrays in requests are views
// of SharedArrayBuffers: posting them shares the memory, so the thread reads and writes in place.
import type { MessagePort } from 'node:worker_threads';
import type { ReduceArray } from '../../core/collectives/types';

/** Marks the workerData of a communication thread (the entry refuses to run without it). */
export const COMM_THREAD_TAG = 'dtrain-comm-thread';

/** Slots of the shared control array. */
export const CTL_COMPLETED = 0; // operations the thread has finished (ok or failed); bumped with Atomics.notify
export const CTL_DEAD = 1; // non-zero once the thread is ending (crash or exit): waitSync must stop waiting
export const CTL_SLOTS = 2;

/** Where the ring's sockets are and how the thread's RingCollectives is set up. */
export interface RingJoin {
  dir: string;
  deviceId: number;
  deviceIds: readonly number[];
  connectTimeoutMs?: number;
  /** Passed to RingCollectives in the thread. */
  pieceBytes?: number;
  window?: number;
}

export interface CommThreadInit extends RingJoin {
  tag: typeof COMM_THREAD_TAG;
  /** The thread's end of the channel (replies go back on it). */
  port: MessagePort;
  /** Int32Array of CTL_SLOTS on a SharedArrayBuffer. */
  control: Int32Array;
  nativeAdd: boolean;
}

/** Operations, each numbered by the main thread in call order. `group` undefined means all devices. */
export type OpRequest =
  | { type: 'allReduce'; seq: number; data: ReduceArray; group?: readonly number[] }
  | {
      type: 'reduceScatter';
      seq: number;
      data: ReduceArray;
      chunkSizes: readonly number[];
      group?: readonly number[];
      out: ReduceArray;
    }
  | {
      type: 'allGather';
      seq: number;
      chunk: ReduceArray;
      chunkSizes: readonly number[];
      group?: readonly number[];
      out: ReduceArray;
    }
  | { type: 'broadcast'; seq: number; data: ReduceArray; root: number; group?: readonly number[] };

export type ThreadRequest = OpRequest | { type: 'close' };

/** An Error carried across the port (the kind is kept for RangeError/TypeError from argument checks). */
export interface WireError {
  name: string;
  message: string;
}

export type ThreadReply =
  | { type: 'ready'; add: 'native' | 'js' }
  | { type: 'connectFailed'; error: WireError }
  | { type: 'done'; seq: number; error?: WireError }
  | { type: 'fatal'; error: WireError }
  | { type: 'closed' };

export function toWire(e: unknown): WireError {
  return e instanceof Error ? { name: e.name, message: e.message } : { name: 'Error', message: String(e) };
}

export function fromWire(w: WireError): Error {
  if (w.name === 'RangeError') return new RangeError(w.message);
  if (w.name === 'TypeError') return new TypeError(w.message);
  return new Error(w.message);
}
