/**
 * Web mode: the built renderer over HTTP and the TrainerApi over a WebSocket at `/api`, for any
 * browser on this machine. Loopback only unless a host is given explicitly; a random token (in the
 * page URL) is required for the API.
 */
import { createServer, type Server } from 'node:http';
import { realpathSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { TrainerApi } from '../../shared/api';
import type { Subscribe } from '../../shared/transport/index';
import { createApiSocket } from './api-socket';
import { createToken, hostAllowed, type HostPolicy } from './security';
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
  token: string;
  port: number;
  close(): Promise<void>;
}

function pageUrl(host: string, port: number, token: string): string {
  const wildcard = host === '0.0.0.0' || host === '::';
  const shown = wildcard ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return `http://${shown}:${port}/?token=${encodeURIComponent(token)}`;
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
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
