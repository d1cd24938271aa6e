/**
 * The preload: exposes the app's one IPC channel to the page as `window.dtrainIpc` (send a transport
 * message, hear the replies). The window runs sandboxed with context isolation; the page builds its
 * typed API client on this port, and the main process answers only allow-listed calls from the
 * window's own frame (src/main/electron/ipc-bridge.ts).
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { IPC_CHANNEL, type IpcPort, type TransportMessage } from '../shared/transport';

// Only these two functions cross the bridge: nothing that reaches ipcRenderer itself.
const port: IpcPort = {
  send: (msg: TransportMessage) => ipcRenderer.send(IPC_CHANNEL, msg),
  subscribe(handler) {
    const listener = (_event: IpcRendererEvent, msg: unknown): void => handler(msg);
    ipcRenderer.on(IPC_CHANNEL, listener);
    return () => void ipcRenderer.off(IPC_CHANNEL, listener);
  },
};

contextBridge.exposeInMainWorld('dtrainIpc', port);
