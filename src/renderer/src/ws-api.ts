/**
 * Web mode: the RendererApi over a WebSocket to `dtrain serve`. Calls made while connecting are
 * queued; a dropped connection rejects pending calls and reconnects with backoff, then tells the app
 * so it can reload what it shows (events sent meanwhile are lost). A connection refused because the
 * server does not accept the token is final: retrying cannot fix it, so the loop stops.
 */
import { createApiClient, decodeMessage, encodeMessage, type ApiClient } from '../../shared/transport';

export type ConnectionState = 'connecting' | 'open' | 'closed' | 'refused';

/** The part of a browser WebSocket used here (a fake one in tests). */
export interface SocketLike {
  onopen: (() => void) | null;
  onmessage: ((e: { data: unknown }) => void) | null;
  onclose: (() => void) | null;
  send(text: string): void;
}

/** Whether the server accepts the token: 'unknown' when it could not be asked (e.g. it is down). */
export type AccessAnswer = { kind: 'allowed' } | { kind: 'refused'; message: string } | { kind: 'unknown' };

export interface WebSocketApiOptions {
  url: string;
  onState: (state: ConnectionState) => void;
  /** Called after a lost connection is back. */
  onReconnect: () => void;
  /** Asked after an attempt that never opened: a browser cannot see a handshake's 403 itself. */
  checkAccess: () => Promise<AccessAnswer>;
  /** Called once when the token is refused; no reconnect follows. */
  onRefused: (message: string) => void;
  openSocket?: (url: string) => SocketLike;
  schedule?: (fn: () => void, ms: number) => void;
}

export function createWebSocketApi(options: WebSocketApiOptions): ApiClient {
  const openSocket = options.openSocket ?? ((url: string) => new WebSocket(url) as unknown as SocketLike);
  const schedule = options.schedule ?? ((fn: () => void, ms: number) => void setTimeout(fn, ms));
  let socket: SocketLike | null = null;
  let state: ConnectionState = 'connecting';
  let handler: (msg: unknown) => void = () => {};
  let queue: string[] = [];
  let everOpen = false;
  let retryMs = 500;

  const setState = (next: ConnectionState): void => {
    state = next;
    options.onState(next);
  };

  const client = createApiClient(
    (msg) => {
      const text = encodeMessage(msg);
      if (state === 'open' && socket) socket.send(text);
      else if (state === 'connecting') queue.push(text);
      else if (state === 'refused') throw new Error('Not connected to the trainer: the page has no valid token');
      else throw new Error('Not connected to the trainer (reconnecting…)');
    },
    (h) => {
      handler = h;
    },
  );

  const retry = (): void => {
    schedule(connect, retryMs);
    retryMs = Math.min(retryMs * 2, 10_000);
  };

  const afterFailedAttempt = async (): Promise<void> => {
    const answer = await options.checkAccess().catch((): AccessAnswer => ({ kind: 'unknown' }));
    if (answer.kind !== 'refused') return retry();
    setState('refused');
    client.failPending(answer.message);
    options.onRefused(answer.message);
  };

  function connect(): void {
    setState('connecting');
    const ws = openSocket(options.url);
    let opened = false;
    socket = ws;
    ws.onopen = () => {
      opened = true;
      setState('open');
      retryMs = 500;
      for (const text of queue) ws.send(text);
      queue = [];
      if (everOpen) options.onReconnect();
      everOpen = true;
    };
    ws.onmessage = (e) => {
      if (typeof e.data !== 'string') return;
      try {
        handler(decodeMessage(e.data));
      } catch {
        console.error('dropped a malformed message from the server');
      }
    };
    ws.onclose = () => {
      socket = null;
      queue = [];
      setState('closed');
      client.failPending('Connection to the trainer lost');
      // A connection that worked and dropped is retried at once; one that never opened may be a refusal.
      if (opened) retry();
      else void afterFailedAttempt();
    };
  }
  connect();
  return client;
}
