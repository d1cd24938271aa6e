/**
 * A run trained by another process on the same database (issue 11, item 9). The other process is
 * stood in for by a live child process holding the run's lease while this test writes its metric rows
 * through a second SQLite connection — what a `dtrain train` in a terminal does. The dashboard must
 * say so, offer no Pause or Stop, follow the new rows, and show the run as interrupted once that
 * process is gone.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { test } from 'node:test';
import { RunStore } from '../../src/engine/store/index';
import { chromiumMissingReason } from './helpers/browser';
import { BASE_CONFIG, metricPoint, startDashboard } from './helpers/dashboard-server';

test(
  'a run trained elsewhere: labelled, no pause or stop, followed from the database, then interrupted',
  { timeout: 120_000 },
  async (t) => {
    const reason = chromiumMissingReason();
    if (reason) return t.skip(reason);
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 120000)'], { stdio: 'ignore' });
    let store: RunStore | null = null;
    let runId = '';
    const d = await startDashboard((db) => {
      store = RunStore.open(db);
      runId = store.createRun({ ...BASE_CONFIG, name: 'from the terminal', steps: 1000 });
      store.acquireRunLease(runId, { pid: other.pid!, host: hostname() });
      store.appendMetrics(
        runId,
        [0, 1, 2, 3, 4].map((s) => metricPoint(s, 1 - s * 0.01)),
      );
      store.updateRun(runId, { status: 'running', step: 5 });
    });
    const s = store as unknown as RunStore;
    try {
      const page = await d.open(`#/run/${runId}`);
      await page.getByTestId('run-elsewhere').waitFor();
      assert.match(
        (await page.getByTestId('elsewhere-banner').textContent()) ?? '',
        new RegExp(`pid ${other.pid} on ${hostname()}`),
      );
      assert.equal(await page.getByTestId('pause-run').isVisible(), false, 'no Pause');
      assert.equal(await page.getByTestId('stop-run').isVisible(), false, 'no Stop');
      assert.equal(await page.getByTestId('resume-run').isVisible(), false, 'no Resume');
      // The banner can show before the history has loaded into the chart: wait for the 5 stored points.
      await page.waitForFunction(
        () => document.querySelector('[data-testid="chart-loss"]')?.getAttribute('data-points') === '5',
        null,
        { timeout: 10_000 },
      );

      // The other process trains on: its rows reach the chart without any event.
      s.appendMetrics(
        runId,
        [5, 6, 7, 8, 9, 10, 11].map((st) => metricPoint(st, 1 - st * 0.01)),
      );
      s.updateRun(runId, { step: 12 });
      await page.waitForFunction(
        () => document.querySelector('[data-testid="chart-loss"]')?.getAttribute('data-points') === '12',
        null,
        { timeout: 10_000 },
      );
      await page.screenshot({ path: '/tmp/dash-elsewhere.png', fullPage: true });

      await page.getByTestId('nav-runs').click();
      await page.getByTestId(`run-elsewhere-${runId}`).waitFor();

      other.kill('SIGKILL');
      await new Promise((r) => other.once('exit', r));
      await page.getByTestId(`run-status-${runId}`).and(page.locator('[data-status="interrupted"]')).waitFor({ timeout: 10_000 });
      assert.equal(await page.getByTestId(`run-elsewhere-${runId}`).count(), 0);
      await page.getByTestId(`open-run-${runId}`).click();
      await page.locator('[data-testid="run-status"][data-status="interrupted"]').waitFor();
      assert.equal(await page.getByTestId('resume-run').isEnabled(), true, 'an interrupted run can be resumed');
      assert.equal(await page.getByTestId('elsewhere-banner').isVisible(), false);
      assert.deepEqual(d.errors, [], 'no uncaught errors in the page');
    } finally {
      other.kill('SIGKILL');
      s.close();
      await d.close();
    }
  },
);
