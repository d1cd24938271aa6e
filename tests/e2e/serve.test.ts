/**
 * `dtrain serve` as a user starts it (issue 23, items 7 and 9): two servers started together on a
 * fresh checkout build the dashboard once (one builds, the other waits) and both serve it; `--demo`
 * prints the address of the demo run's live page, which opens on a run that trains, paced to last
 * about a minute.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { chromiumMissingReason, launchChromium } from './helpers/browser';
import { REPO_ROOT } from './helpers/build-renderer';

interface Served {
  child: ChildProcessWithoutNullStreams;
  out: () => string;
  err: () => string;
}

function serve(dir: string, name: string, ...args: string[]): Served {
  const child = spawn(process.execPath, ['bin/dtrain.mjs', 'serve', '--db', join(dir, `${name}.db`), ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, DTRAIN_DASHBOARD_DIR: join(dir, 'dashboard') },
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return { child, out: () => out, err: () => err };
}

async function urlOf(s: Served, timeoutMs = 180_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = /dtrain dashboard: (\S+)/.exec(s.out());
    if (m) return m[1]!;
    if (s.child.exitCode !== null) throw new Error(`serve exited ${s.child.exitCode}: ${s.err()}`);
    if (Date.now() > deadline) throw new Error(`no URL after ${timeoutMs} ms: ${s.err()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function stop(s: Served): Promise<number | null> {
  if (s.child.exitCode !== null) return s.child.exitCode;
  const exited = new Promise<number | null>((resolve) => s.child.once('exit', (code) => resolve(code)));
  s.child.kill('SIGINT');
  return exited;
}

test('dtrain serve: built once by two servers at once; --demo opens on a live demo run', { timeout: 300_000 }, async (t) => {
  const reason = chromiumMissingReason();
  if (reason) return t.skip(reason);
  const dir = mkdtempSync(join(tmpdir(), 'dtrain-serve-'));
  const browser = await launchChromium();
  const servers: Served[] = [];
  try {
    await t.test('two servers on a fresh checkout: one build, both serve the dashboard', async () => {
      servers.push(serve(dir, 'a'), serve(dir, 'b'));
      const urls = await Promise.all(servers.map((s) => urlOf(s)));
      const built = servers.filter((s) => /building the dashboard/.test(s.err()));
      assert.equal(built.length, 1, `exactly one server built it:\n${servers.map((s) => s.err()).join('\n---\n')}`);
      assert.match(
        servers.find((s) => !built.includes(s))!.err(),
        /waiting for the dashboard build of another dtrain serve \(pid \d+\)/,
      );
      assert.ok(existsSync(join(dir, 'dashboard', 'index.html')) && !existsSync(join(dir, 'dashboard.lock')));
      for (const url of urls) {
        const page = await browser.newPage();
        const errors: string[] = [];
        page.on('pageerror', (e) => errors.push(e.message));
        await page.goto(url);
        await page.getByTestId('view-new').waitFor();
        assert.deepEqual(errors, []);
        await page.close();
      }
      assert.deepEqual(await Promise.all(servers.splice(0).map(stop)), [0, 0]);
    });

    await t.test('--demo: the printed address opens the demo run training live, paced to about a minute', async () => {
      const demo = serve(dir, 'demo', '--demo');
      servers.push(demo);
      const url = await urlOf(demo);
      const runId = /demo run (\S+) started/.exec(demo.out())?.[1];
      assert.ok(runId && url.endsWith(`#/run/${runId}`), `the address names the demo run: ${url}`);
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      await page.goto(url);
      await page.locator(`[data-testid="view-live"][data-run-id="${runId}"]`).waitFor();
      await page.locator('[data-testid="run-status"][data-status="running"]').waitFor({ timeout: 60_000 });
      const points = () => page.getByTestId('chart-loss').getAttribute('data-points').then(Number);
      await page.waitForFunction(
        () => Number(document.querySelector('[data-testid="chart-loss"]')?.getAttribute('data-points')) >= 3,
        null,
        { timeout: 60_000 },
      );
      const before = await points();
      await page.waitForFunction(
        (n) => Number(document.querySelector('[data-testid="chart-loss"]')?.getAttribute('data-points')) > n,
        before,
        { timeout: 60_000 },
      );
      await page.getByTestId('tab-config').click();
      const config = JSON.parse((await page.getByTestId('run-config').textContent())!) as { steps: number; minStepMs: number };
      const lasts = config.steps * config.minStepMs;
      assert.ok(lasts >= 50_000 && lasts <= 90_000, `steps × minStepMs = ${lasts} ms: about a minute`);
      await page.close();
      assert.equal(await stop(demo), 0);
      servers.splice(0);
    });
  } finally {
    await Promise.all(servers.map(stop));
    await browser.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
