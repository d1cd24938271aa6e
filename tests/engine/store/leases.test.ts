// Run leases: one training process per run. A live other holder is refused (named), a dead holder's
// lease (a killed coordinator) is taken over, and a process may re-acquire its own lease.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { RunStore } from '../../../src/engine/store/index';
import { point, sampleConfig, tempDir } from './helpers';

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

// Issue 24 item 3: a lease from another host used to bind forever, and a reused pid on this host
// counted as its holder. A lease now carries a heartbeat and an expiry; `takeOver` takes it regardless,
// and the writes of a holder whose lease was taken over are refused.
test('another host binds until its expiry; a reused pid does not bind; take-over fences the old holder', async () => {
  const store = RunStore.open(tmp.file('expiry.db'), { leaseMs: 400 });
  try {
    const runId = store.createRun(sampleConfig());
    assert.deepEqual(store.acquireRunLease(runId, { pid: 4242, host: 'box-a' }), { ok: true });
    const held = store.runLease(runId)!;
    assert.equal(held.expiresAt! - held.heartbeatAt!, 400);
    assert.equal(held.alive, true);
    assert.equal(store.acquireRunLease(runId).ok, false, 'fresh: binds');
    assert.equal(store.renewRunLease(runId, { pid: 4242, host: 'box-a' }), true, 'its holder renews it');
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(store.runLease(runId)!.alive, false, 'no heartbeat for longer than its lease time: expired');
    assert.deepEqual(store.acquireRunLease(runId), { ok: true }, 'expired: taken');
    assert.equal(store.renewRunLease(runId, { pid: 4242, host: 'box-a' }), false, 'the old holder learns it lost the lease');

    // This host, a live pid that started at another time than the holder did: the pid was reused.
    const other = store.createRun(sampleConfig());
    const live = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    try {
      assert.deepEqual(store.acquireRunLease(other, { pid: live.pid!, host: hostname(), processStart: '1' }), { ok: true });
      assert.equal(store.runLease(other)!.alive, false);
      assert.deepEqual(store.acquireRunLease(other), { ok: true });
    } finally {
      live.kill('SIGKILL');
    }

    // Take-over of a binding lease: the old holder's writes are refused from then on.
    const third = store.createRun(sampleConfig());
    assert.deepEqual(store.acquireRunLease(third), { ok: true });
    store.updateRun(third, { status: 'running' });
    // Another dtrain (its own connection) takes it over, as `resume --take-over` does.
    const taker = RunStore.open(tmp.file('expiry.db'));
    try {
      assert.equal(taker.acquireRunLease(third, { pid: 4242, host: 'box-b' }).ok, false, 'a live holder binds');
      assert.deepEqual(taker.acquireRunLease(third, { pid: 4242, host: 'box-b' }, { takeOver: true }), { ok: true });
    } finally {
      taker.close();
    }
    assert.throws(() => store.updateRun(third, { status: 'paused' }), /lease on .* was taken over by pid 4242 on box-b/);
    assert.throws(() => store.appendMetrics(third, [point(1, 0.5)]), /taken over/);
    assert.equal(store.getRun(third).status, 'running', 'nothing was written');
  } finally {
    store.close();
  }
});

// Issue 24 item 4: a sweep has a lease like a run's.
test('a sweep lease: one holder at a time, released, taken from a dead holder', async () => {
  const store = RunStore.open(tmp.file('sweep-lease.db'));
  try {
    const sweepId = store.createSweep({
      name: 'grid',
      method: 'grid',
      monitor: 'loss',
      mode: 'min',
      options: { trials: 2, eta: 3, minEvals: 1, devicesPerTrial: 1, seed: 1 },
      baseConfig: sampleConfig(),
      space: { 'optimizer.rho': [0.9, 0.95] },
      trials: [{ 'optimizer.rho': 0.9 }, { 'optimizer.rho': 0.95 }],
    });
    assert.deepEqual(store.acquireSweepLease(sweepId), { ok: true });
    const refused = store.acquireSweepLease(sweepId, { pid: 4242, host: 'box-a' });
    assert.ok(!refused.ok && refused.holder.pid === process.pid);
    store.releaseSweepLease(sweepId);
    assert.equal(store.sweepLease(sweepId), null);
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    assert.deepEqual(store.acquireSweepLease(sweepId, { pid: child.pid!, host: hostname() }), { ok: true });
    assert.equal(store.acquireSweepLease(sweepId).ok, false, 'a live holder on this host binds');
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    assert.deepEqual(store.acquireSweepLease(sweepId), { ok: true }, 'a dead one does not');
  } finally {
    store.close();
  }
});
