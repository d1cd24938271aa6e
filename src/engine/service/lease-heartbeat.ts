/**
 * The heartbeat of the leases this process holds (the runs it trains, the sweeps it runs): every third
 * of the lease time each one is renewed, so a dtrain on another host can tell a live holder from one
 * that died (docs/leases.md). A renewal that finds the lease gone (another process took it over)
 * tells its owner, which stops at once.
 */
import type { RunStore } from '../store/index';

type Kind = 'run' | 'sweep';

export class LeaseHeartbeat {
  private readonly kept = new Map<string, { kind: Kind; id: string; onLost: () => void }>();
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly store: RunStore,
    private readonly log?: (line: string) => void,
  ) {}

  /** Renews the lease on `id` until drop(); `onLost` runs once if it was taken over meanwhile. */
  keep(kind: Kind, id: string, onLost: () => void): void {
    this.kept.set(`${kind}:${id}`, { kind, id, onLost });
    this.timer ??= setInterval(() => this.beat(), Math.max(250, this.store.leaseMs / 3));
    this.timer.unref(); // the work the lease covers keeps the process alive, not its heartbeat
  }

  drop(kind: Kind, id: string): void {
    this.kept.delete(`${kind}:${id}`);
    if (this.kept.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private beat(): void {
    for (const { kind, id, onLost } of [...this.kept.values()]) {
      let held: boolean;
      try {
        held = kind === 'run' ? this.store.renewRunLease(id) : this.store.renewSweepLease(id);
      } catch (e) {
        // A busy or full database: the lease stays as it was, and the next beat tries again.
        this.log?.(`${kind} ${id}: lease heartbeat failed: ${e instanceof Error ? e.message : String(e)}`);
        continue;
      }
      if (held) continue;
      this.drop(kind, id);
      onLost();
    }
  }
}
