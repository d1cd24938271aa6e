// How a device worker joins the ring: through a communication thread that owns the sockets
// (ThreadedCollectives: collectives progress while the model step computes), or on its own thread
// (SocketLinks and RingCollectives beside the model step). commThreadOn() chooses.
import { commThreadDecision, type CommThreadContext } from '../../shared/comm-thread-policy';
import type { Collectives } from '../../core/collectives/types';
import type { CopyMeter } from '../../core/metering/copy-meter';
import { RingCollectives } from '../../core/collectives/ring';
import { nativeBlas } from '../native-blas';
import { SocketLinks } from './socket-links';
import { ThreadedCollectives } from './threaded-collectives';

export interface JoinOptions {
  dir: string;
  deviceId: number;
  deviceIds: readonly number[];
  /** The communication thread's entry (the device worker passes the one beside itself). */
  threadEntry?: URL;
  env?: NodeJS.ProcessEnv;
  /** For the default choice (commThreadOn); without it the thread is used. */
  context?: CommThreadContext;
  /** Where a communication thread counts its staging copies (the worker's compute context's meter). */
  copies?: CopyMeter;
}

export interface JoinedRing {
  collectives: Collectives;
  /** Clean close of the links (BYE to every peer); with a thread, the thread then ends. */
  close(): Promise<void>;
}

/**
 * Whether the communication thread is used (src/shared/comm-thread-policy.ts). Without a context
 * (tests that join a ring directly) the thread is on unless DTRAIN_COMM_THREAD=0.
 */
export function commThreadOn(env: NodeJS.ProcessEnv = process.env, ctx?: CommThreadContext): boolean {
  if (!ctx) return env.DTRAIN_COMM_THREAD !== '0';
  return commThreadDecision(env.DTRAIN_COMM_THREAD, ctx).on;
}

export async function joinRing(o: JoinOptions): Promise<JoinedRing> {
  const { dir, deviceId, deviceIds } = o;
  if (commThreadOn(o.env, o.context)) {
    const threaded = await ThreadedCollectives.start({ dir, deviceId, deviceIds, threadEntry: o.threadEntry, copies: o.copies });
    return { collectives: threaded, close: () => threaded.close() };
  }
  const links = await SocketLinks.connect({ dir, deviceId, deviceIds });
  const ring = new RingCollectives(links, { add: nativeBlas().add ?? undefined });
  return { collectives: ring, close: async () => (ring.dispose(), await links.close()) };
}
