/**
 * Who holds a lease, as far as this host can tell: is the process alive, and is it the same process
 * that took the lease (a pid is reused once its process is gone)? Linux's /proc gives a process's
 * start time; elsewhere only the pid can be checked.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { LeaseHolder } from './leases';

/** The process's start time since boot, in clock ticks (/proc/PID/stat field 22), or null where unknown. */
export function processStart(pid: number): string | null {
  if (process.platform !== 'linux') return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces and parentheses) start at field 3.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

let me: LeaseHolder | undefined;

/** This process as a lease holder. */
export function thisProcess(): LeaseHolder {
  me ??= { pid: process.pid, host: hostname(), processStart: processStart(process.pid) };
  return me;
}

/**
 * Whether a holder on this host is the live process that took the lease: its pid is alive and, where
 * both start times are known, it started when the holder did (else the pid was reused).
 */
export function sameHostHolderAlive(h: LeaseHolder): boolean {
  if (!processAlive(h.pid)) return false;
  const started = h.processStart ? processStart(h.pid) : null;
  return started === null || started === h.processStart;
}
