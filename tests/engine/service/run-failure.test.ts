// Storing a run's failure when the store is what failed: a full disk refuses the first status write,
// the WAL copy frees room, and the retry stores `failed` with the reason; when nothing fits, one log
// line says so and the row is left for the lease logic (read as interrupted, never running).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunStore } from '../../../src/engine/store/index';
import { StoreError } from '../../../src/engine/store/errors';
import { recordFailure, type FailureStore } from '../../../src/engine/service/run-failure';
import { IRIS_RUN } from './helpers';

const FULL_REASON = 'Database x.db cannot grow: the disk is full (SQLITE_FULL: database or disk is full)';

/** The real store, with its status writes refused as a full disk would while `full()` holds. */
function fillable(store: RunStore, full: () => boolean): FailureStore & { walCopies: number } {
  const wrapped = {
    walCopies: 0,
    updateRun: (...args: Parameters<RunStore['updateRun']>) => {
      if (full()) throw new StoreError('full', 'x.db', FULL_REASON);
      return store.updateRun(...args);
    },
    checkpointWal: () => {
      wrapped.walCopies += 1;
      return store.checkpointWal();
    },
  };
  return wrapped;
}

function withStore(fn: (store: RunStore) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'dtrain-failure-'));
  const store = RunStore.open(join(dir, 'runs.db'));
  try {
    fn(store);
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a status write refused once is retried after the WAL copy and stores failed with the reason', () =>
  withStore((store) => {
    const id = store.createRun(IRIS_RUN);
    store.updateRun(id, { status: 'running', step: 40 });
    let refusals = 1;
    const logs: string[] = [];
    const target = fillable(store, () => refusals-- > 0);
    assert.equal(
      recordFailure(target, id, FULL_REASON, (l) => logs.push(l)),
      40,
    );
    assert.equal(target.walCopies, 1);
    assert.deepEqual([store.getRun(id).status, store.getRun(id).error], ['failed', FULL_REASON]);
    assert.deepEqual(logs, []);
  }));

test('when no write fits, it logs one line, returns null and leaves the row for the lease logic', () =>
  withStore((store) => {
    const id = store.createRun(IRIS_RUN);
    store.updateRun(id, { status: 'running', step: 7 });
    const logs: string[] = [];
    assert.equal(
      recordFailure(
        fillable(store, () => true),
        id,
        FULL_REASON,
        (l) => logs.push(l),
      ),
      null,
    );
    assert.equal(logs.length, 1);
    assert.match(
      logs[0],
      new RegExp(`^run ${id}: the failure could not be stored either .*disk is full.*; it will read as interrupted$`),
    );
    assert.equal(store.getRun(id).status, 'running');
  }));
