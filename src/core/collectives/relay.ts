// The pipelining engine under every ring collective: pieces stream from `prev`, get combined with
// local data, and are forwarded to `next` while later pieces are still arriving.
import type { PeerLinks } from './links';
import type { ReduceArray } from './types';

/** One piece arriving from `prev`, in stream order. */
export interface Incoming {
  /** Where the bytes land. */
  into: ReduceArray;
  /**
   * Index of an earlier incoming piece whose forwarded send read the same memory as `into`: the
   * receive is posted only after that send finished (scratch reuse).
   */
  reuses?: number;
  /** Runs once the piece is in `into`; returns the array to forward to `next`, or null. */
  then(): ReduceArray | null;
}

export interface RelayPlan {
  /** Arrays sent to `next` straight away (local data of the first step), in order. */
  initial: ReduceArray[];
  incoming: Incoming[];
}

interface Forward {
  done: boolean;
  promise: Promise<void>;
}

const noop = (): void => {};

/**
 * Runs `plan` with at most `window` receives posted ahead. Resolves when every piece has arrived and
 * every send has finished (so the caller may reuse its arrays); rejects on the first link error.
 */
export async function runRelay(links: PeerLinks, prev: number, next: number, plan: RelayPlan, window: number): Promise<void> {
  let failSend: (e: unknown) => void = noop;
  const sendFailed = new Promise<never>((_, reject) => (failSend = reject));
  sendFailed.catch(noop);
  const sends: Promise<void>[] = [];
  const send = (data: ReduceArray): Promise<void> => {
    const p = links.send(next, data);
    p.catch(failSend);
    sends.push(p);
    return p;
  };
  for (const data of plan.initial) void send(data); // its failure goes to failSend, and `sends` is awaited

  const { incoming } = plan;
  const forwards: (Forward | undefined)[] = [];
  const recvs: Promise<void>[] = [];
  let posted = 0;
  for (let i = 0; i < incoming.length; i++) {
    posted = await postAhead(links, prev, incoming, recvs, forwards, posted, i, window);
    await Promise.race([recvs[i], sendFailed]);
    const out = incoming[i].then();
    if (out) forwards[i] = track(send(out));
  }
  await Promise.race([Promise.all(sends), sendFailed]);
}

/**
 * Posts receives up to `i + window`. A receive whose memory is still being sent is skipped for now
 * (posting stays in order), except the one needed right now, which waits: that send only depends on
 * pieces of earlier ring steps, so the wait cannot close a cycle.
 */
async function postAhead(
  links: PeerLinks,
  prev: number,
  incoming: Incoming[],
  recvs: Promise<void>[],
  forwards: (Forward | undefined)[],
  posted: number,
  i: number,
  window: number,
): Promise<number> {
  while (posted < incoming.length && posted < i + window) {
    const reuses = incoming[posted].reuses;
    if (reuses !== undefined) {
      const fwd = forwards[reuses];
      const busy = reuses >= i || (fwd !== undefined && !fwd.done);
      if (busy && posted > i) break;
      if (busy && fwd) await fwd.promise;
    }
    const recv = links.recvInto(prev, incoming[posted].into);
    recv.catch(noop); // observed later via race; never an unhandled rejection
    recvs[posted++] = recv;
  }
  return posted;
}

function track(promise: Promise<void>): Forward {
  const fwd: Forward = { done: false, promise };
  promise.then(() => (fwd.done = true), noop);
  return fwd;
}
