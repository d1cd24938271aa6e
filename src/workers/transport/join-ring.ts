// How a device worker joins the ring: through a communication thread that owns the sockets
// (ThreadedCollectives: collectives progress while the model step computes), or on its own thread
// (SocketLinks and RingCollectives beside the model step). commThreadOn() chooses.
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
  /** For the default choice (commThreadOn); without it the thread is used. */
  context?: CommThreadContext;
}

export interface JoinedRing {
  collectives: Collectives;
  /** Clean close of the links (BYE to every peer); with a thread, the thread then ends. */
  close(): Promise<void>;
}

/** What decides whether a worker joins through a communication thread. */
export interface CommThreadContext {
  /** Device workers on this machine (the mesh size: every device of a mesh is local). */
  workers: number;
  /** The worker's tfjs backend: 'tensorflow' computes off the CPU (CUDA), wasm and cpu on it. */
  backend: string;
  /** CPU cores this process may use (os.availableParallelism()). */
  cores: number;
}

/**
 * Whether the communication thread is used. DTRAIN_COMM_THREAD=1 / 0 force it on / off. By default
 * (unset or 'auto') it is on when there is something to exchange (2 workers or more) and a core is
 * free for it: the backend computes off the CPU, or the machine has at least two cores per worker. The ring's copies and adds are CPU work; where every
 * core already runs a worker's model step, a thread doing them takes that core from the step, and
 * measured on 2 cores with 2 workers the step was slower with it than without (docs/overlap.md).
 */
export function commThreadOn(env: NodeJS.ProcessEnv = process.env, ctx?: CommThreadContext): boolean {
  const setting = env.DTRAIN_COMM_THREAD;
  if (setting === '0') return false;
  if (setting === '1' || !ctx) return true;
  if (ctx.workers < 2) return false; // one worker exchanges nothing: a thread would only cost its start
  return ctx.backend === 'tensorflow' || ctx.cores >= 2 * ctx.workers;
}

export async function joinRing(o: JoinOptions): Promise<JoinedRing> {
  const { dir, deviceId, deviceIds } = o;
  if (commThreadOn(o.env, o.context)) {
    const threaded = await ThreadedCollectives.start({ dir, deviceId, deviceIds, threadEntry: o.threadEntry });
    return { collectives: threaded, close: () => threaded.close() };
  }
  const links = await SocketLinks.connect({ dir, deviceId, deviceIds });
  const ring = new RingCollectives(links, { add: nativeBlas().add ?? undefined });
  return { collectives: ring, close: async () => (ring.dispose(), await links.close()) };
}
