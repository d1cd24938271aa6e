/// <reference path="./window.d.ts" />
/**
 * Picks the engine connection at startup: the preload's IPC port in Electron, otherwise a
 * WebSocket back to the server that served this page, authenticated by the token from the page URL.
 */
import type { RendererApi } from '../../shared/api';
import { createApiClient, type ShellCommand } from '../../shared/transport';
import { createWebSocketApi, type ConnectionState } from './ws-api';

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

export function connect(onState: (state: ConnectionState) => void, onReconnect: () => void): Connection {
  const ipc = window.dtrainIpc;
  if (ipc) {
    onState('open');
    const api = createApiClient((msg) => ipc.send(msg), (handler) => ipc.subscribe(handler));
    return { api, mode: 'desktop', onShellCommand: (l) => api.onShellCommand(l) };
  }
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const token = takeToken();
  const url = `${scheme}://${location.host}/api?token=${encodeURIComponent(token)}`;
  const api = createWebSocketApi({ url, onState, onReconnect });
  const problem = token ? undefined : 'This page needs the address printed by `dtrain serve` (it ends in ?token=…). Open that address to connect.';
  return { api, mode: 'web', onShellCommand: () => () => {}, problem };
}
