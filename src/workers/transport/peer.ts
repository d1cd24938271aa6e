/** One ring neighbour's connection state, shared by the link (socket-links) and its setup (socket-setup). */
import type net from 'node:net';
import type { FrameReader } from './frames';

/** One peer: `reader` brings its messages (we are the client), `writer` carries ours (we accepted it). */
export interface Peer {
  id: number;
  reader?: net.Socket;
  frames?: FrameReader;
  writer?: net.Socket;
  /** Rejecters of sends in flight. */
  sends: Set<(e: Error) => void>;
  sendError?: Error;
  /** BYE read on `reader` (no more data will come) / on `writer` (the peer reads no more). */
  byeReader: boolean;
  byeWriter: boolean;
  lost: boolean;
  /** Set while connecting: called when the peer acknowledged our HELLO. */
  onAck?: () => void;
}
