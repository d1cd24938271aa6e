/**
 * Web mode in Chromium with a missing, a wrong and the right token: the first two show the same
 * help banner, and a refused token stops the page from reconnecting (one handshake, not a loop).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Browser } from 'playwright-core';
import { startServer, type RunningServer } from '../../src/engine/serve/index';
import { TOKEN_HELP } from '../../src/shared/web-access';
import { FakeTrainer } from '../engine/serve/fake-trainer';
import { chromiumMissingReason, launchChromium } from './helpers/browser';
import { buildRenderer } from './helpers/build-renderer';

test('web mode: a wrong token shows the missing-token help and stops reconnecting', { timeout: 180_000 }, async (t) => {
  const reason = chromiumMissingReason();
  if (reason) {
    console.log(`skipping web token e2e: ${reason}`);
    return t.skip(reason);
  }
  const trainer = new FakeTrainer();
  let server: RunningServer | null = null;
  let browser: Browser | null = null;
  try {
    server = await startServer({ api: trainer, subscribe: trainer.subscribe, staticDir: await buildRenderer() });
    browser = await launchChromium();
    const base = `http://127.0.0.1:${server.port}/`;

    const banner = async (url: string): Promise<{ text: string; sockets: number; status: string }> => {
      const page = await browser!.newPage(); // a fresh page: no token left in its session storage
      let sockets = 0;
      page.on('websocket', () => (sockets += 1));
      await page.goto(url);
      const problem = page.getByTestId('connection-problem');
      await problem.waitFor();
      // A refused page must stay refused: the backoff would have retried twice within this wait.
      await page.getByText('Not connected').or(page.getByText('Disconnected — retrying')).first().waitFor();
      await page.waitForTimeout(2_000);
      const result = {
        text: (await problem.textContent()) ?? '',
        sockets,
        status: (await page.locator('[data-state]').first().getAttribute('data-state')) ?? '',
      };
      await page.close();
      return result;
    };

    const missing = await banner(base);
    const wrong = await banner(`${base}?token=not-the-token`);
    assert.equal(wrong.text, TOKEN_HELP);
    assert.equal(wrong.text, missing.text, 'the same help for a wrong token as for a missing one');
    assert.equal(wrong.sockets, 1, 'one refused handshake, no reconnect loop');
    assert.equal(wrong.status, 'refused');

    const page = await browser.newPage();
    await page.goto(server.url);
    await page.getByTestId('view-new').waitFor();
    await page.getByText('Connected', { exact: true }).waitFor();
    assert.equal(await page.getByTestId('connection-problem').count(), 0, 'the right token shows no problem');
  } finally {
    await browser?.close();
    await server?.close();
  }
});
