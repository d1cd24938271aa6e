/// <reference path="./window.d.ts" />
/**
 * Picks the engine connection at startup: the preload's IPC port in Electron, otherwise a
 * WebSocket back to the server that served this page, authenticated by the token from the page URL.
 */
import type { RendererApi } from '../../shared/api';
import { createApiClient, type ShellCommand } from '../../shared/transport';
import { ACCESS_CHECK_PATH, TOKEN_HELP } from '../../shared/web-access';
import { createWebSocketApi, type AccessAnswer, type ConnectionState } from './ws-api';

export interface Connection {
  api: RendererApi;
  mode: 'desktop' | 'web';
  onShellCommand(listener: (command: ShellCommand) => void): () => void;
  /** Set when the page cannot work as opened (web mode without a token). */
  problem?: string;
}

const TOKEN_KEY = 'dtrain.token';

/** Reads the token from `?token=` (then hides it from the address bar) or from this tab's storage. */
function takeToken(): string {
  const url = new URL(location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl) {
    sessionStorage.setItem(TOKEN_KEY, fromUrl);
    url.searchParams.delete('token');
    history.replaceState(history.state, '', url.pathname + url.search + url.hash);
    return fromUrl;
  }
  return sessionStorage.getItem(TOKEN_KEY) ?? '';
}

/** Asks the server whether it accepts the token (401 carries the help text shown for a missing one). */
async function checkAccess(token: string): Promise<AccessAnswer> {
  try {
    const res = await fetch(`${ACCESS_CHECK_PATH}?token=${encodeURIComponent(token)}`, { cache: 'no-store' });
    if (res.status === 204) return { kind: 'allowed' };
    if (res.status === 401) return { kind: 'refused', message: TOKEN_HELP };
    return { kind: 'unknown' };
  } catch {
    return { kind: 'unknown' }; // the server is down or restarting: keep retrying
  }
}

export function connect(
  onState: (state: ConnectionState) => void,
  onReconnect: () => void,
  onRefused: (message: string) => void,
): Connection {
  const ipc = window.dtrainIpc;
  if (ipc) {
    onState('open');
    const api = createApiClient(
      (msg) => ipc.send(msg),
      (handler) => ipc.subscribe(handler),
    );
    return { api, mode: 'desktop', onShellCommand: (l) => api.onShellCommand(l) };
  }
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const token = takeToken();
  const url = `${scheme}://${location.host}/api?token=${encodeURIComponent(token)}`;
  const api = createWebSocketApi({ url, onState, onReconnect, onRefused, checkAccess: () => checkAccess(token) });
  const problem = token ? undefined : TOKEN_HELP;
  return { api, mode: 'web', onShellCommand: () => () => {}, problem };
}
