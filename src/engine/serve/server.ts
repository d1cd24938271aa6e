/**
 * Web mode: the built renderer over HTTP and the TrainerApi over a WebSocket at `/api`, for any
 * browser on this machine. Loopback only unless a host is given explicitly; a random token (in the
 * page URL) is required for the API.
 */
import { createServer, type Server } from 'node:http';
import { realpathSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import type { AddressInfo } from 'node:net';
import { invalidInput } from '../../shared/errors';
import type { TrainerApi } from '../../shared/api';
import type { Subscribe } from '../../shared/transport/index';
import { createApiSocket } from './api-socket';
import { ACCESS_CHECK_PATH, TOKEN_HELP } from '../../shared/web-access';
import { createToken, hostAllowed, isLoopbackHost, tokensEqual, type HostPolicy } from './security';
import { sendStatus, serveStatic } from './static-files';

export interface ServerOptions {
  /** The engine the page talks to. */
  api: TrainerApi;
  /** Engine events; returns an unsubscribe function. */
  subscribe: Subscribe;
  /** The built renderer (out/renderer). */
  staticDir: string;
  /** Default 127.0.0.1. Anything else is an explicit choice to listen beyond loopback. */
  host?: string;
  /** Default 0: a random free port. */
  port?: number;
  /** Default: 32 random bytes. */
  token?: string;
  /** Host names (besides IP literals) to accept when listening beyond loopback. */
  allowedHosts?: string[];
  log?: (line: string) => void;
}

export interface RunningServer {
  /** Page URL including `?token=…`. */
  url: string;
  /** Page URLs under this machine's network addresses when listening beyond loopback (empty on loopback). */
  networkUrls: string[];
  token: string;
  port: number;
  close(): Promise<void>;
}

function pageUrl(host: string, port: number, token: string): string {
  const wildcard = host === '0.0.0.0' || host === '::';
  const shown = wildcard ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return `http://${shown}:${port}/?token=${encodeURIComponent(token)}`;
}

/** The page URLs other machines would use: every non-internal address the server listens on. */
function networkPageUrls(host: string, port: number, token: string): string[] {
  if (isLoopbackHost(host)) return [];
  const wildcard = host === '0.0.0.0' || host === '::';
  if (!wildcard) return [pageUrl(host, port, token)];
  const addresses = Object.values(networkInterfaces()).flatMap((list) => list ?? []);
  return addresses
    .filter((a) => !a.internal && (host === '::' || a.family === 'IPv4'))
    .map((a) => pageUrl(a.address, port, token));
}

/** A listen failure as one line the user can act on (never Node's own text, e.g. `options.port should be…`). */
function listenError(err: unknown, host: string, port: number): Error {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  const where = `${host}:${port}`;
  switch (code) {
    case 'EADDRINUSE':
      return invalidInput(`cannot serve on ${where}: the port is already in use (leave out --port for a free one)`);
    case 'EACCES':
      return invalidInput(`cannot serve on ${where}: no permission to use this port (use one above 1023)`);
    case 'EADDRNOTAVAIL':
      return invalidInput(`cannot serve on ${where}: ${host} is not an address of this machine`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
      return invalidInput(`cannot serve on ${where}: no such host name '${host}'`);
    case 'ERR_SOCKET_BAD_PORT':
      return invalidInput(`cannot serve on port ${port}: a port is an integer from 0 to 65535`);
    default:
      return err instanceof Error ? err : new Error(String(err));
  }
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const fail = (err: unknown): void => reject(listenError(err, host, port));
    server.once('error', fail);
    try {
      server.listen(port, host, () => {
        server.off('error', fail);
        resolve((server.address() as AddressInfo).port);
      });
    } catch (err) {
      fail(err); // Node throws synchronously for a bad port number
    }
  });
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? createToken();
  const log = options.log ?? (() => {});
  const root = realpathSync(options.staticDir);
  let policy: HostPolicy = { boundHost: host, port: options.port ?? 0, allowedHosts: options.allowedHosts ?? [] };

  const api = createApiSocket({ api: options.api, subscribe: options.subscribe, token, policy: () => policy, log });
  const server = createServer((req, res) => {
    if (!hostAllowed(req.headers.host, policy)) return sendStatus(res, 403, 'host not allowed');
    const url = new URL(req.url ?? '/', 'http://placeholder');
    // A browser cannot read why a WebSocket handshake failed, so the page asks here: a wrong token
    // gets the same help as a missing one, and the page stops reconnecting.
    if (url.pathname === ACCESS_CHECK_PATH) {
      if (tokensEqual(url.searchParams.get('token'), token)) return sendStatus(res, 204, '');
      return sendStatus(res, 401, TOKEN_HELP);
    }
    serveStatic(req, res, root).catch((err: Error) => {
      log(`[serve] ${req.url}: ${err.message}`);
      if (!res.headersSent) sendStatus(res, 500, 'internal error');
      else res.destroy();
    });
  });
  server.on('upgrade', (req, socket, head) => api.handleUpgrade(req, socket, head));

  const port = await listen(server, host, options.port ?? 0);
  policy = { ...policy, port };
  return {
    url: pageUrl(host, port, token),
    networkUrls: networkPageUrls(host, port, token),
    token,
    port,
    async close() {
      await api.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
