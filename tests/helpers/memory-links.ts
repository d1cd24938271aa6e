// In-memory PeerLinks for ring tests that need no processes.
import type { PeerLinks, WireArray } from '../../src/core/collectives/links';

/** In-memory links: a queue per (from, to) pair, each message copied and delivered in order. */
export function memoryLinks(ids: number[]): PeerLinks[] {
  const queues = new Map<string, { data: Uint8Array[]; waiters: ((d: Uint8Array) => void)[] }>();
  const q = (from: number, to: number) => {
    const key = `${from}>${to}`;
    if (!queues.has(key)) queues.set(key, { data: [], waiters: [] });
    return queues.get(key)!;
  };
  const bytes = (a: WireArray) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  return ids.map((id) => ({
    deviceId: id,
    deviceIds: ids,
    async send(peer, data) {
      const copy = bytes(data).slice();
      const box = q(id, peer);
      const waiter = box.waiters.shift();
      if (waiter) waiter(copy);
      else box.data.push(copy);
    },
    async recvInto(peer, target) {
      const box = q(peer, id);
      const msg = box.data.shift() ?? (await new Promise<Uint8Array>((r) => box.waiters.push(r)));
      bytes(target).set(msg);
    },
    onPeerLost: () => () => undefined,
    async close() {},
  }));
}
