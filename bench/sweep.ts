/**
 * A sweep's wall time against running the same trials one by one on one device. Six grid trials of an
 * iris MLP (1 device each, pruning off so both sides do the same work): the sweep runs one trial per
 * device at once; the baseline runs them in sequence on device 0. The ratio is the sweep's speed-up.
 * Run alone: node --import tsx bench/sweep.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createTrainerService } from '../src/engine/service/index';
import { withSettings } from '../src/core/sweeps/config-path';
import { gridTrials } from '../src/core/sweeps/space';
import type { RunConfig } from '../src/shared/api';
import type { BenchSection } from './section';

const BASE: RunConfig = {
  name: 'bench sweep',
  model: {
    type: 'mlp',
    input: [4],
    layers: [
      { type: 'dense', units: 32, activation: 'relu' },
      { type: 'dense', units: 3 },
    ],
    loss: 'softmax_cross_entropy',
    metrics: ['accuracy'],
  },
  data: { kind: 'builtin', name: 'iris', validation: { fraction: 0.2 } },
  mesh: 'batch=1',
  optimizer: { learning_rate: 1.0 },
  steps: 150,
  globalBatchSize: 24,
  seed: 1,
  evalEvery: 25,
};
const SPACE = { 'optimizer.learning_rate': [0.1, 0.5, 1.0], 'optimizer.rho': [0.9, 0.95] };

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'dtrain-bench-sweep-'));
  const service = await createTrainerService({
    dbPath: join(dir, 'bench.db'),
    processHost: 'node',
    workerEntry: resolve('src/workers/device-worker.ts'),
    cpuOnly: true,
  });
  try {
    const devices = await service.listDevices();
    const t0 = performance.now();
    const { sweepId } = await service.createSweep({ baseConfig: BASE, space: SPACE, minEvals: 1000 });
    const status = await service.runSweep(sweepId);
    const sweepMs = performance.now() - t0;

    const t1 = performance.now();
    for (const settings of gridTrials(SPACE)) {
      const { runId } = await service.startRun(
        { ...withSettings(BASE, settings), name: 'bench sequential' },
        { deviceIds: [devices[0]!.deviceId] },
      );
      await service.waitForRun(runId);
    }
    const oneByOneMs = performance.now() - t1;
    console.log(
      `sweep: 6 trials × ${BASE.steps} steps (iris MLP, held-out eval every ${BASE.evalEvery}), ${devices.length} devices, 1 per trial: ${status}`,
    );
    console.log(`  sweep (parallel over device groups)   ${(sweepMs / 1000).toFixed(1)} s`);
    console.log(`  same trials one by one on device 0    ${(oneByOneMs / 1000).toFixed(1)} s`);
    console.log(`  ratio (one by one / sweep)            ${(oneByOneMs / sweepMs).toFixed(2)}×`);
  } finally {
    await service.shutdown();
    rmSync(dir, { recursive: true, force: true });
  }
}

export const sweepSection: BenchSection = {
  name: 'sweep',
  description: "a sweep's wall time vs the same trials one by one on one device",
  run: main,
};

if (import.meta.url === `file://${process.argv[1]}`) await main();
