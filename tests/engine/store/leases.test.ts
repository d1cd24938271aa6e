// Run leases: one training process per run. A live other holder is refused (named), a dead holder's
// lease (a killed coordinator) is taken over, and a process may re-acquire its own lease.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { RunStore } from '../../../src/engine/store/index';
import { sampleConfig, tempDir } from './helpers';

const tmp = tempDir('leases');
after(() => tmp.cleanup());

test('a live holder blocks others; its death frees the lease; re-acquiring your own is fine', async () => {
  const store = RunStore.open(tmp.file('leases.db'));
  const runId = store.createRun(sampleConfig());
  const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  try {
    const holder = { pid: other.pid!, host: hostname() };
    assert.deepEqual(store.acquireRunLease(runId, holder), { ok: true });
    const refused = store.acquireRunLease(runId);
    assert.equal(refused.ok, false);
    assert.ok(!refused.ok && refused.holder.pid === other.pid && refused.holder.host === hostname());
    // A holder on another host cannot be checked from here: treated as live.
    const foreign = store.createRun(sampleConfig());
    assert.equal(store.acquireRunLease(foreign, { pid: 1, host: 'some-other-host' }).ok, true);
    assert.equal(store.acquireRunLease(foreign).ok, false);

    other.kill('SIGKILL');
    await new Promise((r) => other.once('exit', r));
    assert.deepEqual(store.acquireRunLease(runId), { ok: true }, 'a dead holder is taken over');
    assert.deepEqual(store.acquireRunLease(runId), { ok: true }, 'the holder may re-acquire');
    store.releaseRunLease(runId, holder); // not the holder any more: no effect
    assert.equal(store.acquireRunLease(runId, { pid: process.pid + 1_000_000, host: 'x' }).ok, false);
    store.releaseRunLease(runId);
    assert.equal(store.acquireRunLease(runId, { pid: process.pid + 1_000_000, host: 'x' }).ok, true);
  } finally {
    other.kill('SIGKILL');
    store.close();
  }
});
