/**
 * The runs list in a browser, against the real engine on a temp database: a 140-character name stays
 * inside its column (full name on hover), filter and sort, rename / tag / notes, and delete with
 * confirmation — each checked in the SQLite file itself.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import type { Page } from 'playwright-core';
import { RunStore } from '../../src/engine/store/index';
import { artifactPath, chromiumMissingReason } from './helpers/browser';
import { BASE_CONFIG, metricPoint, seedDatabase, startDashboard, type Dashboard } from './helpers/dashboard-server';

const LONG_NAME = `lr-${'0123456789'.repeat(13)}-end-of-a-very-long-name`.slice(0, 140);
let ids: string[] = [];

function readDb(d: Dashboard) {
  const store = RunStore.open(d.dbPath, { readonly: true });
  try {
    return store.listRuns();
  } finally {
    store.close();
  }
}

/** Opens a row's menu and picks an item (edit, delete, the exports). */
async function rowAction(page: Page, runId: string, item: string): Promise<void> {
  await page.getByTestId(`run-menu-${runId}`).click();
  await page.getByTestId(`${item}-${runId}`).click();
}

const rowNames = (page: Page) =>
  page.locator('[data-testid="runs-table"] tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-run-name')));

test('runs list: long names, filter, sort, edit and delete (the database changes)', { timeout: 180_000 }, async (t) => {
  const reason = chromiumMissingReason();
  if (reason) return t.skip(reason);
  const d = await startDashboard((db) => {
    ids = seedDatabase(db, [
      { config: { ...BASE_CONFIG, name: 'alpha' }, points: [metricPoint(0, 0.9), metricPoint(50, 0.4)], tags: ['baseline'] },
      { config: { ...BASE_CONFIG, name: LONG_NAME }, points: [metricPoint(0, 1.2), metricPoint(10, 0.7)], status: 'failed' },
      { config: { ...BASE_CONFIG, name: 'beta' }, points: [metricPoint(0, 1.0), metricPoint(90, 0.2)], status: 'stopped' },
    ]);
  });
  try {
    const page = await d.open('#/runs', { width: 1100 });
    await page.getByTestId('runs-table').waitFor();

    await t.test('a 140-character name is truncated inside the table, whole on hover', async () => {
      await page.screenshot({ path: '/tmp/dash-runs-long.png', fullPage: true });
      const link = page.getByTestId(`open-run-${ids[1]}`);
      assert.equal(await link.getAttribute('title'), LONG_NAME);
      const box = await link.evaluate((el) => ({ client: el.clientWidth, scroll: el.scrollWidth }));
      assert.ok(box.scroll > box.client, `the name overflows its cell and is cut (client ${box.client}, scroll ${box.scroll})`);
      const wrap = await page.locator('.table-wrap').evaluate((el) => ({ client: el.clientWidth, scroll: el.scrollWidth }));
      assert.ok(wrap.scroll <= wrap.client + 1, `the table fits its box at 1100 px (${wrap.scroll} > ${wrap.client})`);
    });

    await t.test('the long name wraps in its run page title instead of widening the page', async () => {
      const live = await d.open(`#/run/${ids[1]}`, { width: 700 });
      await live.getByTestId('chart-loss').waitFor();
      const [scroll, client] = await live.evaluate(() => [
        document.documentElement.scrollWidth,
        document.documentElement.clientWidth,
      ]);
      assert.ok(scroll <= client, `the page is ${scroll} px wide in a ${client} px window`);
      await live.close();
    });

    await t.test('at 900 px: the table fits, each row is one line high, every row’s actions are on screen', async () => {
      const narrow = await d.open('#/runs', { width: 900, height: 800 });
      await narrow.getByTestId('runs-table').waitFor();
      await narrow.screenshot({ path: artifactPath('e2e', 'runs-900.png'), fullPage: true });
      const wrap = await narrow.locator('.table-wrap').evaluate((el) => ({ client: el.clientWidth, scroll: el.scrollWidth }));
      assert.ok(wrap.scroll <= wrap.client + 1, `no scrolling inside the table box (${wrap.scroll} > ${wrap.client})`);
      for (const id of ids) {
        const row = (await narrow.getByTestId(`run-row-${id}`).boundingBox())!;
        assert.ok(row.height <= 64, `row ${id} is ${row.height} px tall`);
        const menu = (await narrow.getByTestId(`run-menu-${id}`).boundingBox())!;
        assert.ok(menu.x >= 0 && menu.x + menu.width <= 900, `the actions of ${id} are on screen (x ${menu.x})`);
      }
      await narrow.getByTestId(`run-menu-${ids[1]}`).click();
      const items = (await narrow.getByTestId(`run-menu-${ids[1]}-items`).boundingBox())!;
      assert.ok(items.x >= 0 && items.x + items.width <= 900 && items.height > 0, 'the open menu is on screen');
      await narrow.close();
    });

    await t.test('duration column, sort by any column, filter by status, tag and text', async () => {
      // Seeded points are 100 ms apart per step: 50 steps = 5 s, 90 steps = 9 s.
      assert.equal(await page.getByTestId(`run-duration-${ids[0]}`).textContent(), '5s');
      assert.equal(await page.getByTestId(`run-duration-${ids[2]}`).textContent(), '9s');
      await page.getByTestId('sort-lastLoss').click();
      assert.deepEqual(await rowNames(page), ['beta', 'alpha', LONG_NAME], 'ascending loss: 0.2, 0.4, 0.7');
      assert.equal(await page.locator('th[aria-sort="ascending"]').textContent(), 'Last loss ▲');
      await page.getByTestId('sort-lastLoss').click();
      assert.deepEqual(await rowNames(page), [LONG_NAME, 'alpha', 'beta']);
      await page.getByTestId('sort-durationMs').click();
      assert.deepEqual(await rowNames(page), [LONG_NAME, 'alpha', 'beta'], 'shortest first: 1 s, 5 s, 9 s');
      await page.getByTestId('sort-name').click();
      assert.deepEqual(await rowNames(page), ['alpha', 'beta', LONG_NAME]);

      await page.getByTestId('filter-status').selectOption('failed');
      assert.deepEqual(await rowNames(page), [LONG_NAME]);
      await page.getByTestId('filter-status').selectOption('');
      await page.getByTestId('filter-tag').selectOption('baseline');
      assert.deepEqual(await rowNames(page), ['alpha']);
      await page.getByTestId('filter-tag').selectOption('');
      await page.getByTestId('filter-text').fill('BET');
      assert.deepEqual(await rowNames(page), ['beta']);
      await page.getByTestId('filter-text').fill('');
    });

    await t.test('rename, tag and annotate a run', async () => {
      await rowAction(page, ids[2]!, 'run-edit');
      await page.getByTestId('edit-name').fill('   ');
      await page.getByTestId('edit-dialog-confirm').click();
      // The engine answers asynchronously: wait for its refusal to show, then check it.
      const refusal = page.getByTestId('edit-dialog-error').filter({ hasText: /\S/ });
      await refusal.waitFor();
      assert.match((await refusal.textContent()) ?? '', /cannot be empty/, 'the engine’s refusal shows inline');
      await page.getByTestId('edit-name').fill('beta renamed');
      await page.getByTestId('edit-tags').fill('best, lr 0.5 ,best');
      await page.getByTestId('edit-notes').fill('smoothest curve');
      await page.getByTestId('edit-dialog-confirm').click();
      await page.getByTestId('edit-dialog').waitFor({ state: 'detached' }); // closed only once the engine has saved
      await page.locator(`[data-testid="run-row-${ids[2]}"][data-run-name="beta renamed"]`).waitFor();
      assert.equal(await page.getByTestId(`run-tags-${ids[2]}`).textContent(), 'bestlr 0.5');
      const run = readDb(d).find((r) => r.id === ids[2])!;
      assert.deepEqual([run.name, run.tags], ['beta renamed', ['best', 'lr 0.5']]);
      const store = RunStore.open(d.dbPath, { readonly: true });
      assert.equal(store.getRun(ids[2]).notes, 'smoothest curve');
      store.close();
    });

    await t.test('a live refresh leaves an open row menu open; the list catches up once it closes', async () => {
      const other = await d.open('#/runs');
      await other.getByTestId('runs-table').waitFor();
      await page.getByTestId(`run-menu-${ids[1]}`).click();
      const items = page.getByTestId(`run-menu-${ids[1]}-items`);
      await d.service.renameRun(ids[2]!, 'beta live'); // a status event: every open list reloads
      await other.locator(`[data-testid="run-row-${ids[2]}"][data-run-name="beta live"]`).waitFor();
      await page.waitForTimeout(500); // the same event's reload, in the page with the open menu
      assert.equal(await items.evaluate((el) => el.matches(':popover-open')), true, 'the menu is still open');
      await page.keyboard.press('Escape');
      await page.locator(`[data-testid="run-row-${ids[2]}"][data-run-name="beta live"]`).waitFor();
      await other.close();
    });

    await t.test('delete asks first; cancel keeps the run, confirm removes it from the database', async () => {
      await rowAction(page, ids[0]!, 'run-delete');
      await page.getByTestId('delete-dialog').waitFor();
      await page.getByTestId('delete-dialog-cancel').click();
      // A dialog still closing would take the next click: wait until it is gone.
      await page.getByTestId('delete-dialog').waitFor({ state: 'detached' });
      assert.equal(readDb(d).length, 3, 'cancel deletes nothing');
      await rowAction(page, ids[0]!, 'run-delete');
      await page.getByTestId('delete-dialog-confirm').click();
      await page.getByTestId(`run-row-${ids[0]}`).waitFor({ state: 'detached' });
      assert.deepEqual(
        readDb(d)
          .map((r) => r.id)
          .sort(),
        [ids[1], ids[2]].sort(),
      );
      const db = new Database(d.dbPath, { readonly: true });
      assert.deepEqual(
        db.prepare('SELECT count(*) AS n FROM metrics WHERE run_id = ?').get(ids[0]),
        { n: 0 },
        'its metric rows are gone',
      );
      db.close();
    });

    await t.test('the count reads "1 run" for one', async () => {
      assert.equal(await page.getByTestId('runs-count').textContent(), '2 runs');
      await rowAction(page, ids[1]!, 'run-delete');
      await page.getByTestId('delete-dialog-confirm').click();
      await page.getByTestId(`run-row-${ids[1]}`).waitFor({ state: 'detached' });
      assert.equal(await page.getByTestId('runs-count').textContent(), '1 run');
      await page.getByTestId('filter-text').fill('zzz');
      assert.equal(await page.getByTestId('runs-count').textContent(), '0 of 1 run');
      await page.getByTestId('filter-text').fill('');
    });
    assert.deepEqual(d.errors, [], 'no uncaught errors in the page');
  } finally {
    await d.close();
  }
});
