// The service's run-management calls: what a user may name and tag a run, and that a run another
// live process trains cannot be deleted from here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { RunStore } from '../../../src/engine/store/index';
import { ApiError } from '../../../src/shared/errors';
import { IRIS_RUN, withService } from './helpers';

const code = (c: string) => (e: unknown) => e instanceof ApiError && e.code === c;

test('rename, notes and tags are checked, stored and listed', () =>
  withService(async (service, dir) => {
    const store = RunStore.open(join(dir, 'runs.db'));
    const id = store.createRun(IRIS_RUN);
    store.close();
    const long = 'x'.repeat(140);
    assert.equal((await service.renameRun(id, `  ${long}  `)).name, long);
    await assert.rejects(service.renameRun(id, '   '), code('invalid-input'));
    await assert.rejects(service.renameRun(id, 'y'.repeat(201)), code('invalid-input'));
    await assert.rejects(service.renameRun('nope', 'a'), code('not-found'));
    assert.deepEqual((await service.setRunTags(id, [' best ', 'lr', 'best', ''])).tags, ['best', 'lr']);
    await assert.rejects(service.setRunTags(id, ['a,b']), code('invalid-input'));
    await assert.rejects(service.setRunTags(id, 'best' as never), code('invalid-input'));
    await service.setRunNotes(id, 'rho 0.9 diverged\nafter step 40');
    const run = await service.getRun(id);
    assert.deepEqual([run.name, run.tags, run.notes], [long, ['best', 'lr'], 'rho 0.9 diverged\nafter step 40']);
    assert.deepEqual(
      (await service.listRuns()).map((r) => r.tags),
      [['best', 'lr']],
    );
  }));

test('delete: refused while another live process trains the run, then removes it', () =>
  withService(async (service, dir) => {
    const store = RunStore.open(join(dir, 'runs.db'));
    const id = store.createRun(IRIS_RUN);
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    try {
      assert.equal(store.acquireRunLease(id, { pid: other.pid!, host: hostname() }).ok, true);
      await assert.rejects(
        service.deleteRun(id),
        (e: unknown) => code('conflict')(e) && new RegExp(`pid ${other.pid}`).test((e as Error).message),
      );
      store.releaseRunLease(id, { pid: other.pid!, host: hostname() });
      await service.deleteRun(id);
      assert.deepEqual(await service.listRuns(), []);
      await assert.rejects(service.deleteRun(id), code('not-found'));
    } finally {
      other.kill('SIGKILL');
      store.close();
    }
  }));
