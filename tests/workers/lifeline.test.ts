// Issue 24 item 2: after the coordinator was SIGKILLed, workers busy in synchronous work (a recursive
// mkdir looping under /proc) spun at 100% CPU, re-parented to init, and their ring's socket folder
// stayed in /tmp. A worker's lifeline thread watches its parent: real processes here, a "coordinator"
// forking a worker that computes forever without returning to its event loop, then killed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { isAlive, waitUntil } from '../helpers/process';

const FIXTURE = resolve('tests/workers/fixtures/busy-worker.ts');

test('a worker busy in synchronous work exits, and removes its socket folder, when its coordinator is killed', async (t) => {
  const sockets = mkdtempSync(join(tmpdir(), 'dt-lifeline-'));
  t.after(() => rmSync(sockets, { recursive: true, force: true }));
  // The coordinator: forks the worker the way the engine does (node with the tsx loader) and waits.
  const coordinator = spawn(
    process.execPath,
    [
      '-e',
      `const w = require('node:child_process').spawn(process.execPath, ['--import', 'tsx', ${JSON.stringify(FIXTURE)}, ${JSON.stringify(sockets)}], { stdio: ['ignore', 'inherit', 'inherit'] }); setInterval(() => {}, 1000);`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  coordinator.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  t.after(() => void coordinator.kill('SIGKILL'));
  assert.ok(await waitUntil(() => /ready (\d+)/.test(out), 30_000), `the worker started: ${out}`);
  const worker = Number(/ready (\d+)/.exec(out)![1]);
  t.after(() => isAlive(worker) && process.kill(worker, 'SIGKILL'));
  await new Promise((r) => setTimeout(r, 500)); // it is in its endless loop now
  assert.ok(isAlive(worker), 'busy, not gone by itself');
  coordinator.kill('SIGKILL');
  assert.ok(await waitUntil(() => !isAlive(worker), 5_000), 'the worker went within 5 s of its coordinator');
  assert.equal(existsSync(sockets), false, 'its socket folder was removed');
});
