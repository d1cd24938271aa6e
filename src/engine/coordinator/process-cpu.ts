/**
 * CPU time a process has used, for the stall watchdog: a worker that answers pings and keeps using
 * CPU is computing (a step slower than the timeout), not stalled. Linux's /proc only; null elsewhere
 * or when the process is gone.
 */
import { readFileSync } from 'node:fs';

/** Linux's USER_HZ: /proc reports CPU time in these ticks (100 on every mainstream kernel build). */
const TICKS_PER_SECOND = 100;

export function cpuMillis(pid: number | undefined): number | null {
  if (pid === undefined || process.platform !== 'linux') return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces and parentheses): state is field 3,
    // utime and stime fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? (ticks * 1000) / TICKS_PER_SECOND : null;
  } catch {
    return null; // exited, or /proc not mounted: no evidence either way
  }
}
