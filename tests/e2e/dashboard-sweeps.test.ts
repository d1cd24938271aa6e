/**
 * The Sweeps view in a browser against the real engine: a sweep stored in the temp database (as
 * `dtrain sweep` stores one) with four trials that ran and one pending. Ranked table with the best
 * highlighted, the parallel-coordinates plot, one click to a trial's run, compare two trials, and a
 * better objective written by another process re-ranks the live table.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RunStore } from '../../src/engine/store/index';
import { artifactPath, chromiumMissingReason } from './helpers/browser';
import { BASE_CONFIG, metricPoint, startDashboard } from './helpers/dashboard-server';

const TRIALS = [
  { 'optimizer.learning_rate': 0.01, 'optimizer.rho': 0.9 },
  { 'optimizer.learning_rate': 0.1, 'optimizer.rho': 0.95 },
  { 'optimizer.learning_rate': 1, 'optimizer.rho': 0.9 },
  { 'optimizer.learning_rate': 10, 'optimizer.rho': 0.95 },
  { 'optimizer.learning_rate': 1, 'optimizer.rho': 0.95 },
];
/** val_loss per trial (min is best): trial 2 best, then 1, 3, 0; trial 4 has not run. */
const OBJECTIVES = [0.9, 0.4, 0.25, 0.7, null];

test(
  'sweeps: ranked live table, best highlighted, parallel coordinates, open and compare trials',
  { timeout: 150_000 },
  async (t) => {
    const reason = chromiumMissingReason();
    if (reason) return t.skip(reason);
    let sweepId = '';
    const runIds: string[] = [];
    let store: RunStore | null = null;
    const d = await startDashboard((db) => {
      store = RunStore.open(db);
      sweepId = store.createSweep({
        name: 'adadelta lr × rho',
        method: 'grid',
        monitor: 'val_loss',
        mode: 'min',
        space: { 'optimizer.learning_rate': [0.01, 0.1, 1, 10], 'optimizer.rho': [0.9, 0.95] },
        baseConfig: BASE_CONFIG,
        options: { trials: 5, devicesPerTrial: 1, seed: 3, eta: 3, minEvals: 1 },
        trials: TRIALS,
      });
      OBJECTIVES.forEach((objective, i) => {
        if (objective === null) return;
        const id = store!.createRun({
          ...BASE_CONFIG,
          name: `trial ${i}`,
          optimizer: { learning_rate: TRIALS[i]['optimizer.learning_rate'], rho: TRIALS[i]['optimizer.rho'] },
        });
        store!.appendMetrics(id, [metricPoint(0, 1, { val_loss: 1.1 }), metricPoint(9, objective, { val_loss: objective })]);
        store!.updateRun(id, { status: 'completed', step: 10 });
        store!.setTrialRun(sweepId, i, id);
        store!.setTrialObjective(sweepId, i, objective);
        runIds[i] = id;
      });
    });
    const s = store as unknown as RunStore;
    try {
      const page = await d.open('#/sweeps', { width: 1280, height: 800 });
      await page.getByTestId(`open-sweep-${sweepId}`).click();
      await page.getByTestId('trial-table').waitFor();

      await t.test('trials ranked by val_loss, best highlighted, pending last', async () => {
        const order = await page
          .locator('[data-testid="trial-table"] tbody tr')
          .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-testid')));
        assert.deepEqual(order, ['trial-row-2', 'trial-row-1', 'trial-row-3', 'trial-row-0', 'trial-row-4']);
        assert.deepEqual(
          await page.locator('tr[data-best="true"]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-testid'))),
          ['trial-row-2'],
        );
        assert.equal(await page.getByTestId('trial-objective-2').textContent(), '0.25');
        assert.equal(await page.getByTestId('trial-objective-4').textContent(), '—');
        assert.match((await page.getByTestId('sweep-summary').textContent()) ?? '', /5 grid trials/);
      });

      await t.test('parallel coordinates: one axis per hyperparameter and the objective, one line per trial', async () => {
        const plot = page.getByTestId('parallel-coords');
        assert.equal(await plot.getAttribute('data-axes'), 'optimizer.learning_rate,optimizer.rho,val_loss');
        assert.equal(await plot.locator('polyline').count(), 5);
        assert.deepEqual(
          await plot.locator('polyline.pc-best').evaluateAll((ls) => ls.map((l) => l.getAttribute('data-trial'))),
          ['2'],
        );
        await page.screenshot({ path: '/tmp/dash-sweep.png', fullPage: true });
      });

      await t.test('the plot draws its axes over the lines and colours each line by its objective', async () => {
        const order = await page
          .getByTestId('parallel-coords')
          .evaluate((svg) =>
            Array.from(svg.children, (el) => el.tagName.toLowerCase()).filter((t) => t === 'polyline' || t === 'g'),
          );
        assert.deepEqual(
          order,
          [...Array(5).fill('polyline'), 'g', 'g', 'g'],
          'every axis group after every line (SVG paints in order)',
        );
        const blue = async (trial: number) => {
          const stroke = (await page.locator(`polyline[data-trial="${trial}"]`).getAttribute('stroke'))!;
          return Number(/rgb\((\d+) (\d+) (\d+)\)/.exec(stroke)![3]);
        };
        // val_loss 0.25 (best) … 0.4 … 0.7 … 0.9 (worst): orange (blue 15) to blue (blue 211).
        const ranked = [await blue(2), await blue(1), await blue(3), await blue(0)];
        assert.deepEqual(
          ranked,
          [...ranked].sort((a, b) => b - a),
          `bluer as the objective improves (${ranked})`,
        );
        assert.deepEqual([ranked[0], ranked[3]], [211, 15], 'the best and worst trials at the ends of the scale');
      });

      await t.test('which hyperparameter mattered most, and the objective against each one', async () => {
        // Spearman ρ on ranks written out: lr ranks 1..4 (0.01, 0.1, 1, 10) against val_loss ranks
        // (0.9, 0.4, 0.25, 0.7) → 4, 2, 1, 3: d = −3, 0, 2, 1, Σd² = 14, ρ = 1 − 6·14/(4·15) = −0.4.
        assert.equal(Number(await page.getByTestId('importance-optimizer.learning_rate').getAttribute('data-score')), 0.4);
        // rho 0.9, 0.95, 0.9, 0.95 (tied ranks 1.5, 3.5, 1.5, 3.5) against 4, 2, 1, 3: Pearson of the ranks.
        const rx = [1.5, 3.5, 1.5, 3.5];
        const ry = [4, 2, 1, 3];
        const m = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
        const cov = rx.reduce((a, x, i) => a + (x - m(rx)) * (ry[i]! - m(ry)), 0);
        const rho = cov / Math.sqrt(rx.reduce((a, x) => a + (x - m(rx)) ** 2, 0) * ry.reduce((a, y) => a + (y - m(ry)) ** 2, 0));
        const score = Number(await page.getByTestId('importance-optimizer.rho').getAttribute('data-score'));
        assert.ok(Math.abs(score - Math.abs(rho)) < 1e-12, `${score} vs ${Math.abs(rho)}`);
        const first = await page.locator('[data-testid="importance"] li').first().getAttribute('data-testid');
        assert.equal(first, 'importance-optimizer.learning_rate', 'the larger score first');
        for (const key of ['optimizer.learning_rate', 'optimizer.rho'])
          assert.equal(
            await page.locator(`[data-testid="scatter-${key}"] circle`).count(),
            4,
            `${key}: one dot per finished trial`,
          );
        assert.equal(await page.getByTestId('scatter-optimizer.learning_rate').getAttribute('data-kind'), 'log');
        await page.screenshot({ path: artifactPath('e2e', 'sweep-1280.png'), fullPage: true });
      });

      await t.test('one click opens a trial’s run; two ticked trials compare', async () => {
        await page.getByTestId('open-trial-1').click();
        await page.locator(`[data-testid="view-live"][data-run-id="${runIds[1]}"]`).waitFor();
        await page.goBack();
        await page.getByTestId('trial-table').waitFor();
        // Click on the line itself (its first vertex: trial 3 alone has learning rate 10).
        const at = await page.locator('polyline[data-trial="3"]').evaluate((line) => {
          const [x, y] = line.getAttribute('points')!.split(' ')[0].split(',').map(Number);
          const box = (line as SVGPolylineElement).ownerSVGElement!.getBoundingClientRect();
          return { x: box.x + x, y: box.y + y };
        });
        await page.mouse.click(at.x, at.y);
        await page.locator(`[data-testid="view-live"][data-run-id="${runIds[3]}"]`).waitFor();
        await page.goBack();
        await page.getByTestId('select-trial-2').check();
        await page.getByTestId('select-trial-0').check();
        await page.getByTestId('compare-trials').click();
        await page.getByTestId('view-compare').waitFor();
        assert.ok(page.url().endsWith(`#/compare/${runIds[2]},${runIds[0]}`), page.url());
      });

      await t.test('a better objective recorded by the sweep process re-ranks the open table', async () => {
        await page.goto(`${d.server.url}#/sweep/${sweepId}`);
        await page.getByTestId('trial-table').waitFor();
        s.setTrialObjective(sweepId, 3, 0.1);
        await page.locator('[data-testid="trial-row-3"][data-best="true"]').waitFor({ timeout: 10_000 });
        assert.equal(
          await page.locator('[data-testid="trial-table"] tbody tr').first().getAttribute('data-testid'),
          'trial-row-3',
        );
      });
      const dark = await d.open(`#/sweep/${sweepId}`, { theme: 'dark', width: 700 });
      await dark.getByTestId('parallel-coords').waitFor();
      await dark.screenshot({ path: '/tmp/dash-sweep-dark-narrow.png', fullPage: true });
      assert.deepEqual(d.errors, [], 'no uncaught errors in the page');
    } finally {
      s.close();
      await d.close();
    }
  },
);
