/**
 * Entry of a device worker's communication thread (worker_threads, started by ThreadedCollectives):
 * it owns the Unix-socket links and the RingCollectives, so the ring keeps moving bytes while the
 * worker's main thread computes synchronously. Requests arrive in call order on one port; RingCollectives
 * queues them, so every member still runs the same operations in the same order.
 * Completion: reply on the port first, then bump the shared counter and notify, so a main thread
 * blocked in Atomics.wait finds the reply when it wakes.
 */
import { workerData } from 'node:worker_threads';
import { RingCollectives } from '../../core/collectives/ring';
import type { ReduceArray } from '../../core/collectives/types';
import { loadNativeBlas } from '../native-blas';
import { SocketLinks } from './socket-links';
import {
  COMM_THREAD_TAG,
  CTL_COMPLETED,
  CTL_DEAD,
  toWire,
  type CommThreadInit,
  type OpRequest,
  type ThreadReply,
  type ThreadRequest,
} from './comm-protocol';

function run(init: CommThreadInit): void {
  const { port, control } = init;
  const reply = (r: ThreadReply) => port.postMessage(r);
  const wake = () => (Atomics.add(control, CTL_COMPLETED, 1), Atomics.notify(control, CTL_COMPLETED));

  // An uncaught error ends the thread: tell the main thread why before going (it may be blocked in waitSync).
  process.on('uncaughtException', (e) => {
    Atomics.store(control, CTL_DEAD, 1);
    reply({ type: 'fatal', error: toWire(e) });
    wake();
    process.exit(1);
  });
  process.on('exit', () => {
    Atomics.store(control, CTL_DEAD, 1);
    wake();
  });

  let links: SocketLinks | undefined;
  let ring: RingCollectives | undefined;
  const outstanding = new Set<Promise<unknown>>();

  const start = (op: OpRequest): Promise<unknown> => {
    const r = ring!;
    switch (op.type) {
      case 'allReduce':
        return r.allReduceSum(op.data, op.group);
      case 'reduceScatter':
        return r.reduceScatterSum(op.data, op.chunkSizes, op.group, op.out);
      case 'allGather':
        return r.allGather(op.chunk, op.chunkSizes, op.group, op.out);
      case 'broadcast':
        return r.broadcast(op.data, op.root, op.group);
    }
  };

  const execute = (op: OpRequest): void => {
    const p = start(op)
      .then(
        () => reply({ type: 'done', seq: op.seq }),
        (e: unknown) => reply({ type: 'done', seq: op.seq, error: toWire(e) }),
      )
      .finally(() => {
        outstanding.delete(p);
        wake();
      });
    outstanding.add(p);
  };

  const close = async (): Promise<void> => {
    ring?.dispose();
    await links?.close(); // BYE to every peer; operations still pending reject
    while (outstanding.size > 0) await Promise.allSettled([...outstanding]);
    reply({ type: 'closed' });
    port.close(); // nothing else is left: the thread ends
  };

  port.on('message', (m: ThreadRequest) => {
    if (m.type === 'close') void close();
    else execute(m);
  });

  SocketLinks.connect(init).then(
    (l) => {
      links = l;
      const add = init.nativeAdd ? nativeAddOrNull() : null;
      ring = new RingCollectives(l, { pieceBytes: init.pieceBytes, window: init.window, add: add ?? undefined });
      reply({ type: 'ready', add: add ? 'native' : 'js' });
    },
    (e: unknown) => {
      reply({ type: 'connectFailed', error: toWire(e) });
      port.close();
    },
  );
}

/** The addon's add (loaded in this thread: N-API modules are per thread); OpenBLAS is not needed here. */
function nativeAddOrNull(): ((dst: ReduceArray, src: ReduceArray) => void) | null {
  return loadNativeBlas({ libraries: [] }).add;
}

const init = workerData as CommThreadInit | null;
if (init?.tag === COMM_THREAD_TAG) run(init);
else {
  process.stderr.write('comm-thread: this is the communication thread of a device worker; ThreadedCollectives starts it\n');
  process.exitCode = 2;
}
