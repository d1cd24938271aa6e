// How a device worker joins the ring: through a communication thread that owns the sockets
// (ThreadedCollectives, the default), or on its own thread (DTRAIN_COMM_THREAD=0: SocketLinks and
// RingCollectives beside the model step, as before the thread existed; kept to compare the two).
import type { Collectives } from '../../core/collectives/types';
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
}

export interface JoinedRing {
  collectives: Collectives;
  /** Clean close of the links (BYE to every peer); with a thread, the thread then ends. */
  close(): Promise<void>;
}

/** Whether the communication thread is used: unless DTRAIN_COMM_THREAD=0. */
export function commThreadOn(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.DTRAIN_COMM_THREAD !== '0';
}

export async function joinRing(o: JoinOptions): Promise<JoinedRing> {
  const { dir, deviceId, deviceIds } = o;
  if (commThreadOn(o.env)) {
    const threaded = await ThreadedCollectives.start({ dir, deviceId, deviceIds, threadEntry: o.threadEntry });
    return { collectives: threaded, close: () => threaded.close() };
  }
  const links = await SocketLinks.connect({ dir, deviceId, deviceIds });
  const ring = new RingCollectives(links, { add: nativeBlas().add ?? undefined });
  return { collectives: ring, close: async () => (ring.dispose(), await links.close()) };
}
