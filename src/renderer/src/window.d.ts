/** What the page expects of the preload (src/preload/index.ts sets it). */
import type { IpcPort } from '../../shared/transport';

declare global {
  interface Window {
    /** Set by the preload in Electron; absent in web mode (a browser talking to `dtrain serve`). */
    dtrainIpc?: IpcPort;
  }
}

export {};
