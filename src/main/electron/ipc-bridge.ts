/**
 * Serves the TrainerApi to one window over IPC with the shared transport: only messages from that
 * window's own top frame, showing the app's page, are answered.
 */
import { ipcMain, type BrowserWindow, type IpcMainEvent } from 'electron';
import type { TrainerApi } from '../../shared/api';
import { IPC_CHANNEL, serveApi, type ShellCommand, type Subscribe, type TransportMessage } from '../../shared/transport';

function fromAppFrame(event: IpcMainEvent, win: BrowserWindow): boolean {
  if (win.isDestroyed() || event.sender !== win.webContents) return false;
  const frame = event.senderFrame;
  return frame !== null && frame === win.webContents.mainFrame;
}

/** Bridges until the window closes; returns a function that sends a menu command to the page. */
export function bridgeWindow(win: BrowserWindow, api: TrainerApi, subscribe: Subscribe): (command: ShellCommand) => void {
  const send = (msg: TransportMessage): void => {
    if (!win.isDestroyed()) win.webContents.send(IPC_CHANNEL, msg);
  };
  const dispose = serveApi(
    api,
    subscribe,
    send,
    (handler) => {
      const listener = (event: IpcMainEvent, msg: unknown): void => {
        if (fromAppFrame(event, win)) handler(msg);
      };
      ipcMain.on(IPC_CHANNEL, listener);
      return () => void ipcMain.off(IPC_CHANNEL, listener);
    },
    (method, err) => console.error(`[dtrain] ${method} failed:`, err),
  );
  win.on('closed', dispose);
  return (command) => send({ kind: 'command', command });
}
