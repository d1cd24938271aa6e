// A run trained by another process on the same database: listed as trained elsewhere (who), not
// pausable or stoppable from here (the database row stays as it is), and interrupted once that
// process is gone while the row still says running.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { RunStore } from '../../../src/engine/store/index';
import { ApiError } from '../../../src/shared/errors';
import { IRIS_RUN, withService } from './helpers';

test('trained elsewhere, then interrupted when that process dies', () =>
  withService(async (service, dir) => {
    const store = RunStore.open(join(dir, 'runs.db'));
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    try {
      const id = store.createRun(IRIS_RUN);
      const idle = store.createRun(IRIS_RUN, { status: 'paused' });
      assert.equal(store.acquireRunLease(id, { pid: other.pid!, host: hostname() }).ok, true);
      store.updateRun(id, { status: 'running', step: 3 });

      const listed = (await service.listRuns()).find((r) => r.id === id)!;
      assert.deepEqual([listed.status, listed.elsewhere], ['running', { pid: other.pid, host: hostname() }]);
      assert.deepEqual((await service.getRun(id)).elsewhere, { pid: other.pid, host: hostname() });
      assert.equal((await service.listRuns()).find((r) => r.id === idle)!.elsewhere, undefined);
      for (const call of [() => service.pauseRun(id), () => service.stopRun(id)]) {
        await assert.rejects(
          call(),
          (e: unknown) => e instanceof ApiError && e.code === 'conflict' && e.message.includes(`pid ${other.pid}`),
        );
      }
      assert.equal(store.getRun(id).status, 'running', 'the row was not marked stopped behind the trainer’s back');

      other.kill('SIGKILL');
      await new Promise((r) => other.once('exit', r));
      const after = await service.getRun(id);
      assert.deepEqual([after.status, after.elsewhere], ['interrupted', undefined]);
      assert.equal((await service.listRuns()).find((r) => r.id === idle)!.status, 'paused', 'other statuses are left alone');
    } finally {
      other.kill('SIGKILL');
      store.close();
    }
  }));
