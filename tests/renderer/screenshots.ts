/**
 * DEVELOPMENT ONLY: screenshots of every view in light and dark, against the in-memory dev API
 * (tests/renderer/dev-api.ts), for looking at the UI. Run: node --import tsx tests/renderer/screenshots.ts
 * Output: test-results/dev-screenshots/*.png. Pass --serve to keep the server up and print its URL.
 */
import type { Page } from 'playwright-core';
import { startServer } from '../../src/engine/serve/index';
import { artifactPath, launchChromium } from '../e2e/helpers/browser';
import { buildRenderer } from '../e2e/helpers/build-renderer';
import { createDevApi } from './dev-api';

const api = createDevApi({ stepsPerTick: 4, tickMs: 40 });
const big = api.seedRun('baseline-100k', 100_000);
const other = api.seedRun('lr-0.5', 60_000, { optimizer: { learning_rate: 0.5, rho: 0.9 }, globalBatchSize: 128 });
const staticDir = await buildRenderer();
const server = await startServer({ api, subscribe: api.subscribe, staticDir, log: console.log });

if (process.argv.includes('--serve')) {
  console.log(`dev server: ${server.url}`);
} else {
  const browser = await launchChromium();
  for (const theme of ['light', 'dark'] as const) {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 }, colorScheme: theme });
    await shoot(page, theme);
    await page.close();
  }
  await browser.close();
  await server.close();
  await api.shutdown();
}

async function shoot(page: Page, theme: string): Promise<void> {
  const shot = (name: string) =>
    page.screenshot({ path: artifactPath('dev-screenshots', `${name}-${theme}.png`), fullPage: true });
  await page.goto(server.url);
  await page.getByTestId('view-new').waitFor();
  await page.waitForTimeout(800);
  await shot('new-run');
  await page.getByTestId('field-lr-type').selectOption('CosineDecay');
  await page.getByTestId('field-optimizer-learning_rate-config-warmup_target').fill('1.0');
  await page.getByTestId('field-optimizer-learning_rate-config-warmup_steps').fill('100');
  await page.getByTestId('field-steps').fill('abc');
  await page.getByTestId('field-optimizer-clipnorm').fill('1');
  await page.getByTestId('field-optimizer-global_clipnorm').fill('1');
  await page.getByTestId('start-run').click();
  await page.waitForTimeout(700);
  await shot('new-run-issues');
  await page.getByTestId('field-steps').fill('400');
  await page.getByTestId('field-optimizer-global_clipnorm').fill('');
  await page.getByTestId('device-1').check();
  await page.getByTestId('start-run').click();
  await page.getByTestId('view-live').waitFor();
  await page.waitForTimeout(2500);
  await shot('live');
  const runId = await page.getByTestId('view-live').getAttribute('data-run-id');
  api.simulateCrash(runId!, 1);
  await page.waitForTimeout(500);
  await shot('live-crash');
  await page.goto(`${server.url.split('?')[0]}#/run/${big}`);
  await page.getByTestId('chart-loss').waitFor();
  await page.waitForTimeout(1500);
  await shot('live-100k');
  await page.getByTestId('nav-runs').click();
  await page.getByTestId('runs-table').waitFor();
  await shot('runs');
  await page.goto(`${server.url.split('?')[0]}#/compare/${big},${other}`);
  await page.getByTestId('diff-table').waitFor();
  await page.waitForTimeout(800);
  await shot('compare');
  await page.keyboard.press('?');
  await page.getByTestId('help-dialog').waitFor();
  await shot('help');
}
