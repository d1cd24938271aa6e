// How a device worker joins the ring: through a communication thread that owns the sockets
// (ThreadedCollectives: collectives progress while the model step computes), or on its own thread
// (SocketLinks and RingCollectives beside the model step). commThreadOn() chooses.
import { commThreadDecision, type CommThreadContext } from '../../shared/comm-thread-policy';
import type { CommThreadChoice } from '../../shared/api';
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
  /** The run's choice (default auto). */
  commThread?: CommThreadChoice;
  /** For the auto choice (commThreadOn); without it the thread is used. */
  context?: CommThreadContext;
  /** The native addon's add for the ring's reductions where it loads (the run's nativeBlas; default true). */
  nativeAdd?: boolean;
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
 * (tests that join a ring directly) the thread is on unless the choice is 'off'.
 */
export function commThreadOn(choice: CommThreadChoice = 'auto', ctx?: CommThreadContext): boolean {
  if (!ctx) return choice !== 'off';
  return commThreadDecision(choice, ctx).on;
}

export async function joinRing(o: JoinOptions): Promise<JoinedRing> {
  const { dir, deviceId, deviceIds } = o;
  const nativeAdd = o.nativeAdd ?? true;
  if (commThreadOn(o.commThread, o.context)) {
    const threaded = await ThreadedCollectives.start({
      dir,
      deviceId,
      deviceIds,
      threadEntry: o.threadEntry,
      nativeAdd,
      copies: o.copies,
    });
    return { collectives: threaded, close: () => threaded.close() };
  }
  const links = await SocketLinks.connect({ dir, deviceId, deviceIds });
  const ring = new RingCollectives(links, { add: (nativeAdd && nativeBlas(true).add) || undefined });
  return { collectives: ring, close: async () => (ring.dispose(), await links.close()) };
}
