// PeerLinks over Unix domain sockets: a full mesh between the device workers, raw bytes straight into
// typed arrays. Each ordered pair (a → b) has its own connection, opened by the *reader* b to a's
// listening socket `<dir>/dev-<a>.sock`: the reader is the client because only client sockets accept
// net's `onread` option (zero-copy receive), and one-way connections keep the two directions independent.
import type net from 'node:net';
import { rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bytesOf, type PeerLinks, type WireArray } from '../../core/collectives/links';
import { FrameReader, MAX_MESSAGE_BYTES, TAG_ACK, TAG_BYE, TAG_DATA, frame } from './frames';
import { acceptWriters, connectReader, type SetupContext } from './socket-setup';
import type { Peer } from './peer';

export interface SocketLinksOptions {
  /** Directory for the sockets, shared by all workers; keep it short (see makeSocketDir). */
  dir: string;
  deviceId: number;
  /** Every device id of the mesh, this one included. */
  deviceIds: readonly number[];
  /** How long to wait for every peer to connect (default 15 s). */
  connectTimeoutMs?: number;
}

/** Linux allows 107 bytes in a socket path (sun_path is 108 with the terminating NUL). */
export const MAX_SOCKET_PATH = 107;

export function socketPath(dir: string, deviceId: number): string {
  return join(dir, `dev-${deviceId}.sock`);
}

/** A fresh short directory for the sockets of one run (under os.tmpdir()). */
export function makeSocketDir(prefix = 'dt-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export class SocketLinks implements PeerLinks {
  readonly deviceIds: readonly number[];
  private readonly peers = new Map<number, Peer>();
  private readonly listeners = new Set<(peer: number, error: Error) => void>();
  private readonly setupSockets = new Set<net.Socket>();
  private server: net.Server | undefined;
  private serverClosed: Promise<void> = Promise.resolve();
  private closing: Promise<void> | undefined;

  private constructor(
    readonly deviceId: number,
    deviceIds: readonly number[],
    private readonly dir: string,
  ) {
    this.deviceIds = [...deviceIds].sort((a, b) => a - b);
    for (const id of this.deviceIds)
      if (id !== deviceId) this.peers.set(id, { id, sends: new Set(), byeReader: false, byeWriter: false, lost: false });
  }

  /** Listens, connects to every peer and waits until all peers are connected both ways. */
  static async connect(options: SocketLinksOptions): Promise<SocketLinks> {
    const { dir, deviceId, deviceIds } = options;
    checkIds(deviceId, deviceIds);
    const path = socketPath(dir, Math.max(...deviceIds));
    if (Buffer.byteLength(path) > MAX_SOCKET_PATH) {
      throw new Error(`socket path ${path} is longer than ${MAX_SOCKET_PATH} bytes: use a shorter dir (makeSocketDir())`);
    }
    const links = new SocketLinks(deviceId, deviceIds, dir);
    try {
      await links.establish(options.connectTimeoutMs ?? 15_000);
    } catch (e) {
      links.destroyAll();
      throw e;
    }
    return links;
  }

  send(peer: number, data: WireArray): Promise<void> {
    const p = this.peers.get(peer);
    if (!p) return Promise.reject(this.noLink(peer));
    const bytes = bytesOf(data);
    if (p.sendError) return Promise.reject(p.sendError);
    if (bytes.byteLength === 0) return Promise.resolve();
    if (bytes.byteLength > MAX_MESSAGE_BYTES)
      return Promise.reject(new RangeError(`message of ${bytes.byteLength} bytes exceeds ${MAX_MESSAGE_BYTES}`));
    return new Promise((resolve, reject) => {
      p.sends.add(reject);
      const w = p.writer!;
      w.cork(); // header and body leave in one writev
      w.write(frame(TAG_DATA, bytes.byteLength));
      w.write(bytes, (err) => {
        p.sends.delete(reject);
        if (err) this.socketDown(p, 'writer', errorText(err)); // classifies the failure first
        if (err) reject(p.sendError ?? this.lostError(p.id, errorText(err)));
        else resolve();
      });
      w.uncork();
    });
  }

  recvInto(peer: number, target: WireArray): Promise<void> {
    const p = this.peers.get(peer);
    if (!p) return Promise.reject(this.noLink(peer));
    const bytes = bytesOf(target);
    if (p.frames!.failed) return Promise.reject(p.frames!.failed);
    if (bytes.byteLength === 0) return Promise.resolve();
    return new Promise((resolve, reject) => p.frames!.post({ bytes, resolve, reject }));
  }

  onPeerLost(listener: (peer: number, error: Error) => void): () => void {
    this.listeners.add(listener);
    for (const p of this.peers.values()) if (p.lost) listener(p.id, p.sendError!); // lost before subscribing
    return () => this.listeners.delete(listener);
  }

  /**
   * Says goodbye on every connection (flagging whether operations were still pending, which peers
   * treat as a loss), rejects pending operations and resolves once every socket is closed.
   */
  close(): Promise<void> {
    this.closing ??= this.closeAll();
    return this.closing;
  }

  private async closeAll(): Promise<void> {
    const peers = [...this.peers.values()];
    const aborting = peers.some((p) => p.sends.size > 0 || (p.frames?.pending ?? 0) > 0);
    const error = new Error(`links of device ${this.deviceId} are closed`);
    for (const p of peers) (this.failSends(p, error), p.frames?.fail(error));
    const bye = frame(TAG_BYE, aborting ? 1 : 0);
    const sockets = peers.flatMap((p) => [p.reader, p.writer]).filter((s): s is net.Socket => s !== undefined);
    await Promise.all([...sockets.map((s) => endSocket(s, bye, aborting ? 100 : 1000)), this.closeServer()]);
  }

  private async establish(timeoutMs: number): Promise<void> {
    const ctx: SetupContext = {
      self: this.deviceId,
      peers: this.peers,
      deadline: Date.now() + timeoutMs,
      path: (id) => socketPath(this.dir, id),
      makeFrames: (p, sock) => this.makeFrames(p, sock),
      wireReader: (p) => this.wireReader(p),
      wireWriter: (p) => this.wireWriter(p),
      sockets: this.setupSockets,
    };
    const own = socketPath(this.dir, this.deviceId);
    rmSync(own, { force: true }); // a stale file from an earlier run would make listen fail
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(this.timeoutError(timeoutMs)), timeoutMs);
    });
    try {
      const accepted = acceptWriters(ctx, own, (server) => {
        this.server = server;
        this.serverClosed = new Promise((resolve) => server.once('close', resolve));
      });
      const connected = Promise.all([...this.peers.values()].map((p) => connectReader(ctx, p)));
      await Promise.race([Promise.all([accepted, connected]), timeout]);
    } finally {
      clearTimeout(timer);
      ctx.deadline = 0; // stops pending retries
    }
    this.setupSockets.clear();
    void this.closeServer(); // everyone is connected: stop listening (removes the socket file)
  }

  private makeFrames(p: Peer, sock: () => net.Socket | undefined): FrameReader {
    const describe = `device ${this.deviceId} receiving from device ${p.id}`;
    return new FrameReader(
      (tag, value) => (tag === TAG_ACK && value === p.id && p.onAck ? p.onAck() : this.onBye(p, 'reader', tag, value)),
      () => sock()?.resume(),
      (error) => this.lose(p, error),
      describe,
    );
  }

  private wireReader(p: Peer): void {
    this.watch(p, 'reader', p.reader!);
  }

  private wireWriter(p: Peer): void {
    const s = p.writer!;
    let buf = Buffer.alloc(0);
    s.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      for (; buf.length >= 8; buf = buf.subarray(8)) this.onBye(p, 'writer', buf.readUInt32LE(0), buf.readUInt32LE(4));
    });
    this.watch(p, 'writer', s);
  }

  private watch(p: Peer, side: 'reader' | 'writer', s: net.Socket): void {
    s.on('error', (err) => this.socketDown(p, side, errorText(err)));
    s.on('end', () => this.socketDown(p, side, 'it disconnected without closing its links'));
    s.on('close', () => this.socketDown(p, side, 'connection closed'));
  }

  /**
   * A control frame after the handshake: only BYE is valid. A clean BYE ends one direction: on the
   * reader it follows the last data (streams are ordered), on the writer it means the peer reads no more.
   */
  private onBye(p: Peer, side: 'reader' | 'writer', tag: number, value: number): void {
    if (tag !== TAG_BYE) return this.lose(p, this.lostError(p.id, `protocol error (unexpected frame 0x${tag.toString(16)})`));
    if (value !== 0)
      return this.lose(p, new Error(`device ${this.deviceId}: device ${p.id} closed its links with operations pending`));
    this.endDirection(p, side);
  }

  private endDirection(p: Peer, side: 'reader' | 'writer'): void {
    const error = new Error(`device ${this.deviceId}: device ${p.id} closed its links`);
    if (side === 'reader') ((p.byeReader = true), p.frames?.fail(error));
    else ((p.byeWriter = true), this.failSends(p, error));
  }

  /**
   * EOF, error or close of one of p's sockets: expected after our own close or after a BYE from p on
   * either socket (p closed cleanly; the BYE on the other socket may simply not be read yet).
   */
  private socketDown(p: Peer, side: 'reader' | 'writer', reason: string): void {
    if (p.lost) return;
    if (this.closing || p.byeReader || p.byeWriter) return this.endDirection(p, side);
    this.lose(p, this.lostError(p.id, reason));
  }

  /** The peer is gone without a clean close: fail both directions, drop its sockets, tell listeners. */
  private lose(p: Peer, error: Error): void {
    if (p.lost || this.closing) return;
    p.lost = true;
    p.sendError = error; // also what late onPeerLost subscribers are told
    this.failSends(p, error);
    p.frames?.fail(error);
    p.reader?.destroy();
    p.writer?.destroy();
    for (const listener of [...this.listeners]) listener(p.id, error);
  }

  private failSends(p: Peer, error: Error): void {
    p.sendError ??= error;
    for (const reject of [...p.sends]) reject(p.sendError);
    p.sends.clear();
  }

  private lostError(peer: number, reason: string): Error {
    return new Error(`device ${this.deviceId}: lost connection to device ${peer} (${reason})`);
  }

  private timeoutError(ms: number): Error {
    const missing = [...this.peers.values()].filter((p) => !p.writer || !p.reader).map((p) => p.id);
    return new Error(
      `device ${this.deviceId}: timed out after ${ms} ms waiting for devices [${missing.join(', ')}] to connect (sockets in ${this.dir})`,
    );
  }

  private noLink(id: number): Error {
    return new RangeError(`device ${this.deviceId} has no link to device ${id}`);
  }

  /** Stops listening; resolves on the server's 'close', which waits for its accepted sockets to end. */
  private closeServer(): Promise<void> {
    this.server?.close();
    this.server = undefined;
    return this.serverClosed;
  }

  private destroyAll(): void {
    this.closing ??= Promise.resolve();
    for (const s of this.setupSockets) s.destroy();
    for (const p of this.peers.values()) (p.reader?.destroy(), p.writer?.destroy());
    void this.closeServer();
  }
}

function checkIds(self: number, ids: readonly number[]): void {
  if (!ids.every((id) => Number.isInteger(id) && id >= 0) || new Set(ids).size !== ids.length) {
    throw new RangeError(`deviceIds [${ids.join(', ')}] must be distinct non-negative integers`);
  }
  if (!ids.includes(self)) throw new RangeError(`deviceId ${self} is not in deviceIds [${ids.join(', ')}]`);
}

function errorText(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code;
  return code ? `${code}: ${err.message}` : err.message;
}

/** Ends with a final frame, then destroys once flushed (or after `graceMs`); resolves on 'close'. */
function endSocket(s: net.Socket, last: Buffer, graceMs: number): Promise<void> {
  if (s.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => s.destroy(), graceMs);
    s.once('close', () => (clearTimeout(timer), resolve()));
    s.once('finish', () => s.destroy());
    s.end(last);
  });
}
