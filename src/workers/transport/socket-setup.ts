// Connection setup of the socket mesh: listening for the peers that will read from us (their HELLO
// names them), and connecting, with retries until the deadline, to every peer we read from.
import net from 'node:net';
import type { FrameReader } from './frames';
import { HELLO_BYTES, TAG_ACK, TAG_HELLO, frame } from './frames';
import type { Peer } from './peer';

export interface SetupContext {
  self: number;
  peers: Map<number, Peer>;
  /** Epoch ms after which no retry starts (0 once setup has finished or failed). */
  deadline: number;
  path(id: number): string;
  /** The frame parser of a connection reading from `p` (its control frames go to the links). */
  makeFrames(p: Peer, socket: () => net.Socket | undefined): FrameReader;
  /** Attach the long-lived event handlers once a direction is established. */
  wireReader(p: Peer): void;
  wireWriter(p: Peer): void;
  /** Every socket opened during setup, so a failed setup can destroy them all. */
  sockets: Set<net.Socket>;
}

const RETRY_MS = 20;
// The peer's socket file may not exist yet (ENOENT), or exist without a listener yet or any more
// (ECONNREFUSED), or its backlog may be full (EAGAIN): all mean "try again shortly".
const RETRYABLE = new Set(['ENOENT', 'ECONNREFUSED', 'EAGAIN']);

/** Connects to p's socket as the reader of p → self; resolves once p acknowledged the HELLO. */
export function connectReader(ctx: SetupContext, p: Peer): Promise<void> {
  return new Promise((resolve, reject) => {
    const attempt = (): void => {
      if (ctx.deadline === 0) return; // setup already failed or finished
      let sock: net.Socket | undefined;
      const frames = ctx.makeFrames(p, () => sock);
      sock = net.connect({
        path: ctx.path(p.id),
        onread: { buffer: () => frames.nextBuffer(), callback: (n: number) => frames.onRead(n) },
      });
      const s = sock;
      ctx.sockets.add(s);
      const failEarly = (reason: string, retry: boolean): void => {
        s.destroy();
        p.onAck = undefined;
        if (ctx.deadline === 0) return; // setup is over (finished or timed out)
        if (retry)
          setTimeout(attempt, RETRY_MS); // the overall timeout ends the retries
        else reject(new Error(`device ${ctx.self}: cannot connect to device ${p.id} at ${ctx.path(p.id)} (${reason})`));
      };
      const onError = (err: NodeJS.ErrnoException): void =>
        failEarly(`${err.code ?? ''} ${err.message}`.trim(), RETRYABLE.has(err.code ?? ''));
      const onEnd = (): void => failEarly('it closed the connection during the handshake', false);
      s.on('error', onError);
      s.on('end', onEnd);
      s.once('connect', () => s.write(frame(TAG_HELLO, ctx.self, p.id)));
      p.onAck = () => {
        s.off('error', onError).off('end', onEnd);
        p.reader = s;
        p.frames = frames;
        p.onAck = undefined;
        ctx.wireReader(p);
        resolve();
      };
    };
    attempt();
  });
}

/**
 * Listens on `path` and accepts one writer connection per peer (validated by its HELLO); resolves when
 * every peer has one. `onServer` receives the server so the caller can close it.
 */
export function acceptWriters(ctx: SetupContext, path: string, onServer: (s: net.Server) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    let missing = ctx.peers.size;
    const server = net.createServer((sock) => {
      ctx.sockets.add(sock);
      readHello(sock, (from, to) => {
        const p = ctx.peers.get(from);
        if (to !== ctx.self || !p || p.writer) return sock.destroy(); // not for us, unknown, or a duplicate
        p.writer = sock;
        ctx.wireWriter(p);
        sock.write(frame(TAG_ACK, ctx.self));
        if (--missing === 0) resolve();
      });
    });
    onServer(server);
    server.once('error', (err) => reject(new Error(`device ${ctx.self}: cannot listen on ${path} (${err.message})`)));
    server.listen(path, () => missing === 0 && resolve());
  });
}

/** Reads the 12-byte HELLO (tag, reader id, writer id) before the socket is handed over. */
function readHello(sock: net.Socket, done: (from: number, to: number) => void): void {
  let buf = Buffer.alloc(0);
  const onData = (chunk: Buffer): void => {
    buf = Buffer.concat([buf, chunk]);
    if (buf.length < HELLO_BYTES) return;
    sock.off('data', onData).off('error', onError);
    if (buf.readUInt32LE(0) !== TAG_HELLO || buf.length > HELLO_BYTES) return void sock.destroy();
    done(buf.readUInt32LE(4), buf.readUInt32LE(8));
  };
  const onError = (): void => void sock.destroy();
  sock.on('data', onData).on('error', onError);
}
