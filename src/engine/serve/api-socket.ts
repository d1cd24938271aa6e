/**
 * The `/api` WebSocket endpoint: admits a handshake only with the right token, an allowed Host and
 * this server's own Origin, then serves the TrainerApi over the shared transport.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { TrainerApi } from '../../shared/api';
import { decodeMessage, encodeMessage, serveApi, type Subscribe } from '../../shared/transport/index';
import { hostAllowed, originAllowed, tokensEqual, type HostPolicy } from './security';

export const API_PATH = '/api';
/** Configs and metric batches are small; a megabyte-sized message is a mistake or an attack. */
const MAX_PAYLOAD = 8 * 1024 * 1024;

export interface ApiSocketOptions {
  api: TrainerApi;
  subscribe: Subscribe;
  token: string;
  policy: () => HostPolicy;
  log: (line: string) => void;
}

function refuse(socket: Duplex, status: 400 | 403 | 404, reason: string): void {
  const text = status === 403 ? 'Forbidden' : status === 404 ? 'Not Found' : 'Bad Request';
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${reason.length + 1}\r\n\r\n${reason}\n`,
  );
}

/** Why a handshake is refused, or null when it may proceed. */
function checkHandshake(req: IncomingMessage, opts: ApiSocketOptions): { status: 403 | 404; reason: string } | null {
  const url = new URL(req.url ?? '/', 'http://placeholder');
  if (url.pathname !== API_PATH) return { status: 404, reason: 'not found' };
  if (!hostAllowed(req.headers.host, opts.policy())) return { status: 403, reason: 'host not allowed' };
  if (!originAllowed(req.headers.origin, req.headers.host)) return { status: 403, reason: 'origin not allowed' };
  if (!tokensEqual(url.searchParams.get('token'), opts.token)) return { status: 403, reason: 'bad token' };
  return null;
}

function attach(ws: WebSocket, opts: ApiSocketOptions): void {
  const dispose = serveApi(
    opts.api,
    opts.subscribe,
    (msg) => {
      if (ws.readyState === ws.OPEN) ws.send(encodeMessage(msg));
    },
    (handler) => {
      const onMessage = (data: Buffer, isBinary: boolean): void => {
        if (isBinary) return ws.close(1003, 'text frames only');
        try {
          handler(decodeMessage(data.toString('utf8')));
        } catch {
          ws.close(1007, 'malformed message');
        }
      };
      ws.on('message', onMessage);
      return () => ws.off('message', onMessage);
    },
    // The raw text (a Node or SQLite message) stays in the server's log; the page gets `internal`.
    (method, err) => opts.log(`[serve] ${method} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`),
  );
  ws.on('close', dispose);
  ws.on('error', (err) => opts.log(`[serve] websocket error: ${err.message}`));
}

/** Creates the endpoint; feed it the HTTP server's `upgrade` events. */
export function createApiSocket(opts: ApiSocketOptions): {
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  close(): Promise<void>;
} {
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_PAYLOAD });
  wss.on('connection', (ws) => attach(ws, opts));
  return {
    handleUpgrade(req, socket, head) {
      const refused = checkHandshake(req, opts);
      if (refused) {
        opts.log(`[serve] refused websocket from ${req.socket.remoteAddress}: ${refused.reason}`);
        return refuse(socket, refused.status, refused.reason);
      }
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close(() => resolve());
      }),
  };
}
