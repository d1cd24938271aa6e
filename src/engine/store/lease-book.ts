/**
 * The leases of one store connection: taking, renewing, describing and giving back run and sweep
 * leases, judging whether another holder's lease still binds, and fencing the writes of the runs and
 * sweeps this process holds (refused once another process took the lease over). docs/leases.md.
 */
import { hostname } from 'node:os';
import { type StoreContext, writeTransaction } from './context';
import * as leases from './leases';
import { sameHostHolderAlive, thisProcess } from './process-identity';

export type DescribedLease = leases.RunLease & { alive: boolean; mine: boolean };

export class LeaseBook {
  /** The runs and sweeps whose lease this process took, and as which holder. */
  private readonly held = {
    run_leases: new Map<string, leases.LeaseHolder>(),
    sweep_leases: new Map<string, leases.LeaseHolder>(),
  };

  constructor(
    private readonly ctx: StoreContext,
    readonly leaseMs: number,
  ) {}

  /**
   * Whether another holder's lease still binds: on this host, while its process lives (the same
   * process: a reused pid does not count); on another host, until its expiry (its last heartbeat plus
   * its lease time; a lease of an older dtrain, without heartbeats, from when it was taken).
   */
  binds(lease: leases.LeaseHolder & Partial<Pick<leases.Lease, 'expiresAt' | 'acquiredAt'>>): boolean {
    if (lease.host === hostname()) return sameHostHolderAlive(lease);
    const expires = lease.expiresAt ?? (lease.acquiredAt ?? 0) + this.leaseMs;
    return expires > Date.now();
  }

  acquire(
    table: leases.LeaseTable,
    id: string,
    holder: leases.LeaseHolder = thisProcess(),
    options: { takeOver?: boolean } = {},
    exists: () => unknown = () => undefined,
  ): leases.LeaseResult {
    const result = leases.acquireLease(this.ctx, table, id, holder, this.leaseMs, (l) => this.binds(l), {
      takeOver: options.takeOver,
      exists: () => void exists(),
    });
    if (result.ok) this.held[table].set(id, holder);
    return result;
  }

  renew(table: leases.LeaseTable, id: string, holder: leases.LeaseHolder = thisProcess()): boolean {
    return leases.renewLease(this.ctx, table, id, holder, this.leaseMs);
  }

  release(table: leases.LeaseTable, id: string, holder: leases.LeaseHolder = thisProcess()): void {
    this.held[table].delete(id);
    leases.releaseLease(this.ctx, table, id, holder);
  }

  describe(table: leases.LeaseTable, id: string): DescribedLease | null {
    const lease = leases.getLease(this.ctx, table, id);
    if (!lease) return null;
    const me = thisProcess();
    const mine = lease.pid === me.pid && lease.host === me.host;
    return { ...lease, alive: mine || this.binds(lease), mine };
  }

  /** The check a write of a run or sweep this process holds makes inside its transaction. */
  fence(table: leases.LeaseTable, id: string): (() => void) | undefined {
    const holder = this.held[table].get(id);
    return holder ? () => leases.requireLease(this.ctx, table, id, holder) : undefined;
  }

  /** Runs a write in one transaction with its fence (when this process holds the lease). */
  fenced<T>(table: leases.LeaseTable, id: string, write: () => T): T {
    const fence = this.fence(table, id);
    if (!fence) return write();
    return writeTransaction(this.ctx, () => {
      fence();
      return write();
    });
  }
}
