/** A lease's holder as a message names it: which process, where, and when it was last heard from. */
import type { RunLease } from '../store/index';

export function describeHolder(lease: Pick<RunLease, 'pid' | 'host' | 'heartbeatAt'>, now = Date.now()): string {
  const seen = lease.heartbeatAt === null ? '' : `, last seen ${Math.max(0, Math.round((now - lease.heartbeatAt) / 1000))} s ago`;
  return `pid ${lease.pid} on ${lease.host}${seen}`;
}
