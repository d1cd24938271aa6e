// `dtrain ARGS` in a pseudo-terminal, as a user's shell runs it (tests/cli/fixtures/pty-drive.py): its
// output, Ctrl-C typed into the terminal (SIGINT to the foreground group), its exit code, and the
// device workers it started (found as its descendant processes, before they print anything).
import { spawn, spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { commandLine, descendants } from '../helpers/process';

const BIN = resolve('bin/dtrain.mjs');
const PTY = resolve('tests/cli/fixtures/pty-drive.py');
export const python = ['python3', 'python'].find((p) => spawnSync(p, ['-c', 'import pty'], { stdio: 'ignore' }).status === 0);
export const noPty = python ? false : 'needs python3 (its pty module drives a pseudo-terminal)';

export function inTerminal(args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(python!, [PTY, process.execPath, BIN, ...args], {
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<number>((r) => child.once('exit', () => r(Number(/__EXIT__ (-?\d+)/.exec(out)?.[1] ?? NaN))));
  return {
    out: () => out,
    step: () => Math.max(0, ...[...out.matchAll(/step (\d+)\//g)].map((m) => Number(m[1]))),
    /** The dtrain process itself (the pty's child). */
    dtrainPid: () => descendants(child.pid!).find((p) => commandLine(p).includes('dtrain.mjs')),
    /** Its device workers, found in the process table (they may not have printed anything yet). */
    workerPids: () => descendants(child.pid!).filter((p) => commandLine(p).includes('device-worker')),
    typeCtrlC: () => child.stdin.write('C'),
    exited,
  };
}
