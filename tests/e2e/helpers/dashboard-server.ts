/**
 * A real engine (createTrainerService on a temp SQLite file) behind `startServer`, with runs seeded
 * straight into the database, and Chromium: for dashboard tests that need history, not training.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startServer, type RunningServer } from '../../../src/engine/serve/index';
import { createTrainerService } from '../../../src/engine/service/index';
import { RunStore } from '../../../src/engine/store/index';
import type { MetricPoint, RunConfig, RunStatus } from '../../../src/shared/api';
import { launchChromium } from './browser';
import { REPO_ROOT, buildRenderer } from './build-renderer';

export interface Dashboard {
  dbPath: string;
  /** The real engine behind the page: a test starts runs on it as a user's form would. */
  service: Awaited<ReturnType<typeof createTrainerService>>;
  server: RunningServer;
  browser: Browser;
  /** A new page at `hash` (e.g. '#/runs'), failing the test on uncaught page errors via `errors`. */
  open(hash: string, options?: { width?: number; height?: number; theme?: 'light' | 'dark' }): Promise<Page>;
  errors: string[];
  close(): Promise<void>;
}

export interface SeedRun {
  config: RunConfig;
  status?: RunStatus;
  points?: MetricPoint[];
  tags?: string[];
}

export const BASE_CONFIG: RunConfig = {
  name: 'seeded',
  model: { type: 'mlp', input: [4], layers: [{ type: 'dense', units: 3 }], loss: 'softmax_cross_entropy', metrics: ['accuracy'] },
  data: { kind: 'builtin', name: 'iris' },
  mesh: 'batch=1',
  optimizer: { learning_rate: 1.0, rho: 0.95, epsilon: 1e-7 },
  steps: 100,
  globalBatchSize: 30,
  seed: 1,
};

export function metricPoint(
  step: number,
  loss: number,
  metrics: Record<string, number> = {},
  time = 1_700_000_000_000 + step * 100,
): MetricPoint {
  return { step, loss, metrics, learningRate: 1, gradNorm: 0.5, stepTimeMs: 3, samplesPerSec: 1000, time };
}

/** Writes runs into a fresh database (as a finished `dtrain train` would have); returns their ids. */
export function seedDatabase(dbPath: string, runs: SeedRun[]): string[] {
  const store = RunStore.open(dbPath);
  try {
    return runs.map((r) => {
      const id = store.createRun(r.config);
      if (r.points?.length) store.appendMetrics(id, r.points);
      const last = r.points?.at(-1)?.step ?? 0;
      store.updateRun(id, { status: r.status ?? 'completed', step: last, ...(r.tags ? { tags: r.tags } : {}) });
      return id;
    });
  } finally {
    store.close();
  }
}

export async function startDashboard(seed: (dbPath: string) => void = () => {}): Promise<Dashboard> {
  const dir = mkdtempSync(join(tmpdir(), 'dtrain-dash-'));
  const dbPath = join(dir, 'dtrain.sqlite');
  seed(dbPath);
  const service = await createTrainerService({
    dbPath,
    processHost: 'node',
    workerEntry: resolve(REPO_ROOT, 'src/workers/device-worker.ts'),
  });
  const server = await startServer({ api: service, subscribe: (l) => service.subscribe(l), staticDir: await buildRenderer() });
  const browser = await launchChromium();
  const errors: string[] = [];
  const base = server.url.split('#')[0];
  return {
    dbPath,
    service,
    server,
    browser,
    errors,
    async open(hash, o = {}) {
      const page = await browser.newPage({
        viewport: { width: o.width ?? 1300, height: o.height ?? 900 },
        colorScheme: o.theme ?? 'light',
      });
      page.on('pageerror', (err) => errors.push(err.message));
      await page.goto(`${base}${hash}`);
      return page;
    },
    async close() {
      await browser.close();
      await server.close();
      await service.shutdown();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
