/**
 * comlink endpoints over process channels. Node's process IPC and Electron's parentPort /
 * MessagePortMain deliver the payload itself (or `{ data }`), not DOM MessageEvents; comlink wants
 * `{ data }` events. The stock node adapter double-wraps Electron's events, hence these adapters.
 */
import type { Endpoint } from 'comlink';

type Listener = (event: { data: unknown }) => void;

/** The minimal shape both sides share: send a message, subscribe to messages. */
export interface MessageChannelLike {
  send(message: unknown): void;
  on(listener: (payload: unknown) => void): () => void;
}

export function endpointFor(channel: MessageChannelLike): Endpoint {
  const unsubscribers = new Map<EventListenerOrEventListenerObject, () => void>();
  return {
    postMessage: (message: unknown) => channel.send(message),
    addEventListener: (_type: string, listener: EventListenerOrEventListenerObject) => {
      const call = listener as unknown as Listener;
      unsubscribers.set(
        listener,
        channel.on((payload) => call({ data: payload })),
      );
    },
    removeEventListener: (_type: string, listener: EventListenerOrEventListenerObject) => {
      unsubscribers.get(listener)?.();
      unsubscribers.delete(listener);
    },
  };
}

/** The worker's side under Node (child_process.fork): process.send / process.on('message'). */
export function nodeParentChannel(): MessageChannelLike {
  if (!process.send) throw new Error('device worker: no IPC channel (start it with child_process.fork)');
  return {
    send: (message) => process.send!(message),
    on: (listener) => {
      const handler = (m: unknown) => listener(m);
      process.on('message', handler);
      return () => process.off('message', handler);
    },
  };
}

/** Electron utilityProcess: process.parentPort emits `{ data }` events. */
export interface ElectronParentPort {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (e: { data: unknown }) => void): void;
  off(event: 'message', listener: (e: { data: unknown }) => void): void;
}

export function electronParentChannel(port: ElectronParentPort): MessageChannelLike {
  return {
    send: (message) => port.postMessage(message),
    on: (listener) => {
      const handler = (e: { data: unknown }) => listener(e.data);
      port.on('message', handler);
      return () => port.off('message', handler);
    },
  };
}
