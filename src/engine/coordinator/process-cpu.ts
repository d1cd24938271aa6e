/**
 * CPU time a process has used and whether it is running now, for the stall watchdog: a worker that
 * keeps using CPU, or waits for a core on a busy machine, is computing (a step slower than the
 * timeout), not stalled. Linux's /proc only; null elsewhere or when the process is gone.
 */
import { readFileSync } from 'node:fs';

/** Linux's USER_HZ: /proc reports CPU time in these ticks (100 on every mainstream kernel build). */
const TICKS_PER_SECOND = 100;

export interface CpuSample {
  /** User and system CPU milliseconds so far. */
  ms: number;
  /**
   * Running or waiting for a core (R), or in a disk read (D): working. A stopped process is T, one
   * waiting for a message or a socket S.
   */
  working: boolean;
}

export function cpuSample(pid: number | undefined): CpuSample | null {
  if (pid === undefined || process.platform !== 'linux') return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces and parentheses): state is field 3,
    // utime and stime fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    if (!Number.isFinite(ticks)) return null;
    return { ms: (ticks * 1000) / TICKS_PER_SECOND, working: fields[0] === 'R' || fields[0] === 'D' };
  } catch {
    return null; // exited, or /proc not mounted: no evidence either way
  }
}
