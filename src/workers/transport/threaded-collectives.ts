/**
 * Collectives whose sockets and ring run on a communication thread (comm-thread.ts), so that
 * reduce-scatters and all-gathers progress while the worker's main thread computes synchronously.
 * Same operations, order and bits as RingCollectives (the same code runs in the thread); arrays on
 * SharedArrayBuffers (sharedFloat32/64) are used in place, others through staging copies.
 * waitSync blocks the main thread until an issued operation is done, for synchronous code (a forward
 * pass) that needs its data.
 */
import { MessageChannel, receiveMessageOnPort, type MessagePort, type Worker } from 'node:worker_threads';
import type { Collectives, ReduceArray } from '../../core/collectives/types';
import { checkArray, checkSizes, groupPosition, offsetsOf, resultBuffer } from '../../core/collectives/chunking';
import {
  COMM_THREAD_TAG,
  CTL_COMPLETED,
  CTL_DEAD,
  CTL_SLOTS,
  fromWire,
  type CommThreadInit,
  type OpRequest,
  type RingJoin,
  type ThreadReply,
} from './comm-protocol';
import { Binding, StagingPool } from './shared-arrays';
import { spawnThread } from './spawn-thread';
import { awaitedLater } from '../../core/async/observed';
import type { CopyMeter } from '../../core/metering/copy-meter';

export { sharedFloat32, sharedFloat64 } from './shared-arrays';

export interface ThreadedCollectivesOptions extends RingJoin {
  /** Default true: the thread uses the native addon's add when it loads (DTRAIN_NATIVE_BLAS=0 turns it off). */
  nativeAdd?: boolean;
  /** The thread's entry; default comm-thread.ts/.js beside this module (a bundle must pass its own). */
  threadEntry?: URL;
  /** Where the staging copies of arrays that are not shared are counted (default: the default context's meter). */
  copies?: CopyMeter;
}

/** How long one Atomics.wait lasts before waitSync looks again whether the thread is still there. */
const WAIT_SLICE_MS = 200;
/** A thread that has not ended this long after a close request is terminated. */
const CLOSE_GRACE_MS = 5_000;

/** One issued operation, from the call until the thread's reply. */
interface Op {
  seq: number;
  state: 'pending' | 'ok' | 'failed';
  error?: Error;
  request: OpRequest;
  bindings: Binding[];
  resolve: () => void;
  reject: (e: Error) => void;
}

type Issue = { request: OpRequest; bindings: Binding[] };

export class ThreadedCollectives implements Collectives {
  readonly deviceIds: readonly number[];
  /** 'native' or 'js': the reduction add the thread's ring uses. */
  add: 'native' | 'js' = 'js';
  private readonly control = new Int32Array(new SharedArrayBuffer(CTL_SLOTS * Int32Array.BYTES_PER_ELEMENT));
  private readonly port: MessagePort;
  private readonly thread: Worker;
  private readonly pool: StagingPool;
  private readonly ops = new WeakMap<Promise<unknown>, Op>();
  private readonly inFlight = new Map<number, Op>();
  private readonly deferred: Op[] = [];
  private seq = 0;
  private canBlock = true;
  private gone: Error | undefined; // the thread ended (or was asked to): every later operation rejects
  private closing: Promise<void> | undefined;
  private readonly exited: Promise<void>;
  private ready!: { resolve: () => void; reject: (e: Error) => void };

  private constructor(
    readonly deviceId: number,
    options: ThreadedCollectivesOptions,
  ) {
    this.deviceIds = [...options.deviceIds].sort((a, b) => a - b);
    this.pool = new StagingPool(options.copies);
    const channel = new MessageChannel();
    this.port = channel.port1;
    const init: CommThreadInit = {
      tag: COMM_THREAD_TAG,
      port: channel.port2,
      control: this.control,
      dir: options.dir,
      deviceId,
      deviceIds: this.deviceIds,
      connectTimeoutMs: options.connectTimeoutMs,
      pieceBytes: options.pieceBytes,
      window: options.window,
      nativeAdd: options.nativeAdd ?? true,
    };
    const entry = options.threadEntry ?? defaultEntry();
    this.thread = spawnThread(entry, init, [channel.port2], `dtrain comm device ${deviceId}`);
    this.port.on('message', (m: ThreadReply) => this.onReply(m));
    let crash: Error | undefined;
    this.thread.on('error', (e) => (crash = e));
    this.exited = new Promise((resolve) => this.thread.once('exit', (code) => (this.ended(code, crash), resolve())));
  }

  /** Starts the thread; resolves once every link is connected (rejects with SocketLinks.connect's error). */
  static async start(options: ThreadedCollectivesOptions): Promise<ThreadedCollectives> {
    const c = new ThreadedCollectives(options.deviceId, options);
    try {
      await new Promise<void>((resolve, reject) => (c.ready = { resolve, reject }));
    } catch (e) {
      await c.exited;
      throw e;
    }
    return c;
  }

  allReduceSum(data: ReduceArray, group?: readonly number[]): Promise<void> {
    return this.issue(() => {
      checkArray(data, 'allReduceSum data');
      groupPosition(group ?? this.deviceIds, this.deviceIds, this.deviceId);
      const d = this.bind(data, true, true);
      return { request: { type: 'allReduce', seq: 0, data: d.shared, group }, bindings: [d] };
    });
  }

  reduceScatterSum(
    data: ReduceArray,
    chunkSizes: readonly number[],
    group?: readonly number[],
    out?: ReduceArray,
  ): Promise<ReduceArray> {
    let result: ReduceArray;
    return this.issue(
      () => {
        checkArray(data, 'reduceScatterSum data');
        const pos = groupPosition(group ?? this.deviceIds, this.deviceIds, this.deviceId);
        checkSizes(chunkSizes, (group ?? this.deviceIds).length, data.length);
        result = resultBuffer(data, chunkSizes[pos]!, out, 'reduceScatterSum');
        const [d, o] = [this.bind(data, true, false), this.bind(result, false, true)];
        return { request: { type: 'reduceScatter', seq: 0, data: d.shared, chunkSizes, group, out: o.shared }, bindings: [d, o] };
      },
      () => result,
    );
  }

  allGather(
    chunk: ReduceArray,
    chunkSizes: readonly number[],
    group?: readonly number[],
    into?: ReduceArray,
  ): Promise<ReduceArray> {
    let result: ReduceArray;
    return this.issue(
      () => {
        checkArray(chunk, 'allGather chunk');
        const g = group ?? this.deviceIds;
        const pos = groupPosition(g, this.deviceIds, this.deviceId);
        checkSizes(chunkSizes, g.length);
        if (chunk.length !== chunkSizes[pos])
          throw new RangeError(`allGather: chunk has ${chunk.length} elements, chunkSizes[${pos}] is ${chunkSizes[pos]}`);
        result = resultBuffer(chunk, offsetsOf(chunkSizes)[g.length]!, into, 'allGather');
        const [c, o] = [this.bind(chunk, true, false), this.bind(result, false, true)];
        return { request: { type: 'allGather', seq: 0, chunk: c.shared, chunkSizes, group, out: o.shared }, bindings: [c, o] };
      },
      () => result,
    );
  }

  broadcast(data: ReduceArray, rootDeviceId: number, group?: readonly number[]): Promise<void> {
    return this.issue(() => {
      checkArray(data, 'broadcast data');
      const g = group ?? this.deviceIds;
      groupPosition(g, this.deviceIds, this.deviceId);
      if (!g.includes(rootDeviceId)) throw new RangeError(`broadcast root ${rootDeviceId} is not in group [${g.join(', ')}]`);
      const d = this.bind(data, true, true);
      return { request: { type: 'broadcast', seq: 0, data: d.shared, root: rootDeviceId, group }, bindings: [d] };
    });
  }

  /**
   * Blocks the calling thread until `op` (a promise returned by one of this object's operations) has
   * settled: returns if it succeeded (its output arrays are filled), throws its Error if it failed.
   */
  waitSync(op: Promise<unknown>): void {
    const o = this.lookup(op, 'waitSync');
    awaitedLater(op); // its failure is thrown below, synchronously
    for (;;) {
      const seen = Atomics.load(this.control, CTL_COMPLETED);
      this.drain();
      if (o.state === 'ok') return;
      if (o.state === 'failed') throw o.error!;
      if (Atomics.load(this.control, CTL_DEAD) !== 0) {
        this.drain(); // its last replies (a 'fatal' says why) were posted before the flag
        if (o.state === 'pending') this.failAll(this.gone ?? this.threadError('ended'));
        continue;
      }
      this.blockWhile(seen);
    }
  }

  /** Waits (at most one slice) for the completion counter to move past `seen`. */
  private blockWhile(seen: number): void {
    if (this.canBlock) {
      try {
        Atomics.wait(this.control, CTL_COMPLETED, seen, WAIT_SLICE_MS);
        return;
      } catch {
        // A runtime that forbids blocking this thread ("Atomics.wait cannot be called in this
        // context", as a browser main thread does): poll the counter instead, at the cost of a core.
        this.canBlock = false;
      }
    }
    const end = performance.now() + WAIT_SLICE_MS;
    while (Atomics.load(this.control, CTL_COMPLETED) === seen && performance.now() < end);
  }

  /** Without blocking: whether `op` has settled (its outputs filled when it succeeded). */
  isSettled(op: Promise<unknown>): boolean {
    const o = this.lookup(op, 'isSettled');
    this.drain();
    return o.state !== 'pending';
  }

  /** Closes the links in the thread (BYE to every peer, as SocketLinks.close) and ends the thread. */
  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    if (!this.gone) {
      this.gone = new Error(`device ${this.deviceId}: collectives are closed`);
      this.port.postMessage({ type: 'close' });
      const timer = setTimeout(() => void this.thread.terminate(), CLOSE_GRACE_MS);
      await this.exited;
      clearTimeout(timer);
    }
    await this.exited;
  }

  private bind(a: ReduceArray, input: boolean, output: boolean): Binding {
    return new Binding(a, input, output, this.pool);
  }

  /** Registers an operation and posts it (or queues it behind ones that must finish first). */
  private issue<T>(make: () => Issue, result: () => T = () => undefined as T): Promise<T> {
    let op!: Op;
    const promise = new Promise<T>((resolve, reject) => {
      op = { seq: ++this.seq, state: 'pending', request: undefined!, bindings: [], resolve: () => resolve(result()), reject };
    });
    this.ops.set(promise, op);
    try {
      if (this.gone) throw this.gone;
      const { request, bindings } = make();
      op.request = { ...request, seq: op.seq };
      op.bindings = bindings;
    } catch (e) {
      this.settle(op, e instanceof Error ? e : new Error(String(e)));
      return promise;
    }
    // A staged input is read when posted; RingCollectives reads inputs when the operation starts, after
    // earlier ones (which may write it): so wait for those, and keep later operations behind it.
    if (this.deferred.length > 0 || (op.bindings.some((b) => b.copiesIn) && this.inFlight.size > 0)) this.deferred.push(op);
    else this.post(op);
    return promise;
  }

  private post(op: Op): void {
    for (const b of op.bindings) b.beforePost();
    this.inFlight.set(op.seq, op);
    this.port.postMessage(op.request);
  }

  private pump(): void {
    while (this.deferred.length > 0) {
      const next = this.deferred[0]!;
      if (next.bindings.some((b) => b.copiesIn) && this.inFlight.size > 0) return;
      this.deferred.shift();
      this.post(next);
    }
  }

  /** Every reply, whether delivered by the port's event or drained synchronously by waitSync. */
  private onReply(m: ThreadReply): void {
    switch (m.type) {
      case 'ready':
        this.add = m.add;
        return this.ready.resolve();
      case 'connectFailed':
        this.gone = fromWire(m.error);
        return this.ready.reject(this.gone);
      case 'done': {
        const op = this.inFlight.get(m.seq);
        if (!op) return;
        this.inFlight.delete(m.seq);
        this.settle(op, m.error && fromWire(m.error));
        return this.pump();
      }
      case 'fatal':
        return this.failAll(this.threadError(`failed: ${m.error.message}`));
      case 'closed':
        return this.failAll(this.gone ?? new Error(`device ${this.deviceId}: collectives are closed`));
    }
  }

  private drain(): void {
    for (let m = receiveMessageOnPort(this.port); m; m = receiveMessageOnPort(this.port)) this.onReply(m.message as ThreadReply);
  }

  private settle(op: Op, error?: Error): void {
    for (const b of op.bindings) b.after(!error);
    if (error) ((op.state = 'failed'), (op.error = error), op.reject(error));
    else ((op.state = 'ok'), op.resolve());
  }

  /** The thread is gone: every pending and later operation rejects with `error`. */
  private failAll(error: Error): void {
    this.gone ??= error;
    const pending = [...this.inFlight.values(), ...this.deferred];
    this.inFlight.clear();
    this.deferred.length = 0;
    for (const op of pending) this.settle(op, error);
  }

  private ended(code: number, crash: Error | undefined): void {
    this.drain();
    const error = crash ? this.threadError(`failed: ${crash.message}`) : this.threadError(`exited (code ${code})`);
    this.ready?.reject(error); // no-op once start resolved
    this.failAll(this.gone ?? error);
    this.port.close();
    this.pool.clear();
  }

  private threadError(what: string): Error {
    return new Error(`device ${this.deviceId}: communication thread ${what}`);
  }

  private lookup(op: Promise<unknown>, what: string): Op {
    const o = this.ops.get(op);
    if (!o) throw new TypeError(`${what}: not an operation of device ${this.deviceId}'s ThreadedCollectives`);
    return o;
  }
}

/** comm-thread beside this module, as .ts when running from source, else as .js. */
function defaultEntry(): URL {
  return new URL(import.meta.url.endsWith('.ts') ? './comm-thread.ts' : './comm-thread.js', import.meta.url);
}
