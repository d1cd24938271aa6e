/**
 * Models with several outputs in the forms Keras 3 also takes, against live Keras (JAX)
 * (tests/helpers/keras_multi_io_more.py): an output without a loss but with metrics (`loss=[…, None]`,
 * its targets read by its metrics alone), a dict that leaves an output of a dict-output model out (its
 * targets given and not read), `weighted_metrics` (several outputs and one),
 * and a nested Functional sub-model with two outputs. Keras trains each 2 steps and saves it, then
 * continues 3 steps; dtrain continues the archive on 1 device in process (every kernel and storage)
 * and on 2 worker processes. Every figure Keras reports, every variable and Adadelta slot must agree
 * to 1e-4 of Keras's change; Keras loads the export and trains on. `export --cluster` of the
 * two-input, three-output run trains on in Keras under keras.distribution and reaches Keras's numbers.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { registerProjectKernels, selectBackend } from '../../../src/core/tfjs';
import { readKerasArchive, type KerasArchive } from '../../../src/engine/keras/archive';
import { type createTrainerService } from '../../../src/engine/service/index';
import type { RunConfig } from '../../../src/shared/api';
import { REPO_ROOT, pythonWithKeras } from '../../helpers/external';
import { compareFigures, scriptReferenceDir } from '../../helpers/keras-script-reference';
import { compareArchives } from '../../helpers/keras-cases';
import { archiveTrainer, trainerArchive } from '../../helpers/keras-case-run';
import { suiteService } from '../service/helpers';
import { computePaths } from '../../helpers/compute-paths';
import { loadNativeBlas } from '../../../src/workers/native-blas';

const SCRIPT = join(REPO_ROOT, 'tests', 'helpers', 'keras_multi_io_more.py');
const ENV = { ...process.env, KERAS_BACKEND: 'jax', JAX_PLATFORMS: 'cpu', PYTHONWARNINGS: 'ignore' };
const CASES = ['unlossed', 'by_name', 'weighted'] as const;
type CaseName = (typeof CASES)[number];

interface Case {
  name: CaseName;
  batch: number;
  steps: number;
  /** Keras's figures at each continued step. */
  figures: Record<string, number>[];
  before: KerasArchive;
  after: KerasArchive;
}

const referenceDir = () => scriptReferenceDir(SCRIPT, 'dtrain-keras-multi-io-more', 'cases.json', ENV);

async function loadCases(dir: string): Promise<Map<CaseName, Case>> {
  const meta = JSON.parse(readFileSync(join(dir, 'cases.json'), 'utf8')) as Record<
    CaseName,
    Omit<Case, 'name' | 'before' | 'after'>
  >;
  const read = async (f: string) => readKerasArchive(new Uint8Array(readFileSync(join(dir, f))), f);
  const out = new Map<CaseName, Case>();
  for (const name of CASES)
    out.set(name, { ...meta[name], name, before: await read(`${name}.keras`), after: await read(`${name}.after.keras`) });
  return out;
}

/**
 * The run a Keras user writes for each case. `unlossed` names aux's targets (its metrics read them),
 * `by_name` names "extra"'s too, as Keras's fit is given them (no loss or metric reads them).
 */
function runConfig(dir: string, c: Case, mesh: string, extra: Record<string, unknown> = {}): RunConfig {
  const arrays: Record<CaseName, { x: unknown; y: unknown; task?: string }> = {
    unlossed: {
      x: { numeric: 'numeric', body: 'body' },
      y: { priority: 'priority', department: 'department', aux: 'aux' },
    },
    by_name: { x: { features: 'features' }, y: { score: 'score', label: 'label', extra: 'extra' } },
    weighted: { x: 'x', y: 'y', task: 'classification' },
  };
  return {
    name: c.name,
    model: { type: 'keras', path: join(dir, `${c.name}.keras`) },
    data: { kind: 'npz', path: join(dir, `${c.name}.npz`), ...arrays[c.name], shuffle: false },
    mesh,
    steps: c.steps,
    globalBatchSize: c.batch,
    seed: 1,
    checkpointEvery: 0,
    ...extra,
  } as unknown as RunConfig;
}

function worstOf(label: string, ours: KerasArchive, c: Case): string {
  const { worst } = compareArchives(label, ours, c.after, c.before);
  return Math.max(...worst.values()).toExponential(2);
}

/** Keras loads `file` and trains one more step from it, as from its own archive. */
function kerasTrainsOn(c: Case, dir: string, file: string): void {
  const keras = pythonWithKeras() as { python: string };
  const args = [SCRIPT, 'load', c.name, file, join(dir, `${c.name}.after.keras`), join(dir, `${c.name}.npz`), String(c.batch)];
  const r = spawnSync(keras.python, args, { env: ENV, encoding: 'utf8', timeout: 600_000 });
  assert.equal(r.status, 0, r.stderr.slice(-3000));
  const loaded = JSON.parse(r.stdout) as {
    ours: Record<string, number>;
    keras: Record<string, number>;
    worst_vs_step_change: number;
  };
  compareFigures(`${c.name}: Keras training on from our export`, [loaded.ours], [loaded.keras]);
  assert.ok(loaded.worst_vs_step_change < 1e-3, `after one more Keras step, ${loaded.worst_vs_step_change} of its change apart`);
}

const ref = referenceDir();
const skip = 'reason' in ref ? ref.reason : undefined;
if (skip) process.stdout.write(`skipping the outputs-without-a-loss / weighted_metrics / nested-outputs Keras tests: ${skip}\n`);
const DIR = 'dir' in ref ? ref.dir : '';

describe(
  'outputs without a loss, weighted_metrics and a nested model with two outputs, continued from Keras archives',
  { skip, timeout: 600_000 },
  () => {
    let cases: Map<CaseName, Case>;
    before(async () => {
      cases = await loadCases(DIR);
    });

    const paths = computePaths().filter((p) => p.compute.commThread === 'off');
    for (const path of paths)
      test(
        `1 device in process, ${path.name}: every case's figures, weights and slots as Keras`,
        { skip: path.skip },
        async () => {
          const { backend, nativeBlas, variableStorage } = path.compute;
          const blas = nativeBlas ? loadNativeBlas() : null;
          await selectBackend([backend as 'wasm' | 'cpu'], blas?.available ? { native: blas.native } : {});
          assert.equal(tf.getBackend(), backend);
          try {
            for (const c of cases.values()) {
              const label = `${c.name}, ${path.name}`;
              const { trainer, resolved } = await archiveTrainer(
                runConfig(DIR, c, 'batch=1'),
                c.batch,
                variableStorage as 'host' | 'tensor',
              );
              const figures: Record<string, number>[] = [];
              for (let t = 0; t < c.steps; t++) {
                const r = await trainer.step(t);
                figures.push({ loss: r.loss, ...r.metrics });
              }
              compareFigures(label, figures, c.figures);
              process.stdout.write(
                `${label}: every variable and slot within ${worstOf(label, trainerArchive(trainer, resolved.config, c.steps), c)} of Keras's change\n`,
              );
            }
          } finally {
            registerProjectKernels();
          }
        },
      );

    describe('2 real worker processes', () => {
      let service: Awaited<ReturnType<typeof createTrainerService>>;
      let work = '';
      suiteService('dtrain-multi-io-more-', (s, dir) => ((service = s), (work = dir)));

      for (const name of CASES)
        test(`${name}, batch=2: the same figures, weights and slots; the export loads in Keras and trains on`, async () => {
          const c = cases.get(name)!;
          const { runId } = await service.startRun(runConfig(DIR, c, 'batch=2'));
          assert.equal(await service.waitForRun(runId), 'completed', (await service.getRun(runId)).error ?? '');
          // The run stores data.y as written, extra's unread targets too (left out only where packed).
          const storedY = ((await service.getRun(runId)).config.data as { y?: unknown }).y;
          assert.deepEqual(storedY, (runConfig(DIR, c, 'batch=2').data as { y?: unknown }).y);
          const points = await service.getMetrics(runId);
          compareFigures(
            `${name}, 2 workers`,
            points.map((p) => ({ loss: p.loss, ...p.metrics })),
            c.figures,
          );
          const file = join(work, `${name}.keras`);
          await service.exportKeras(runId, file);
          const archive = await readKerasArchive(new Uint8Array(readFileSync(file)), file);
          process.stdout.write(
            `${name}, 2 workers: every variable and slot within ${worstOf(name, archive, c)} of Keras's change\n`,
          );
          if (name !== 'weighted') kerasTrainsOn(c, DIR, file);
        });

      test('unlossed: export --cluster after 1 step; train.py fits dicts under keras.distribution and reaches Keras', async () => {
        const c = cases.get('unlossed')!;
        const { runId } = await service.startRun(runConfig(DIR, c, 'batch=2', { steps: 1, checkpointEvery: 1 }));
        assert.equal(await service.waitForRun(runId), 'completed', (await service.getRun(runId)).error ?? '');
        const cluster = join(work, 'cluster');
        await service.exportCluster(runId, cluster);
        const keras = pythonWithKeras() as { python: string };
        // A finished run's export goes one pass over the data; Keras's reference continued 2 more steps.
        const r = spawnSync(keras.python, [join(cluster, 'train.py'), '--steps', '2'], {
          env: { ...ENV, XLA_FLAGS: '--xla_force_host_platform_device_count=2' },
          encoding: 'utf8',
          timeout: 600_000,
        });
        assert.equal(r.status, 0, r.stderr.slice(-3000));
        // Keras's own figures at its steps 2 and 3, printed by train.py for its steps 1 and 2.
        const printed = [...r.stdout.matchAll(/^step (\d)\/2 (.*)$/gm)].map((m) => {
          const parts = m[2]!.split(' ');
          return Object.fromEntries(parts.flatMap((p, i) => (i % 2 ? [] : [[p, Number(parts[i + 1])]])));
        });
        compareFigures(`the cluster (${r.stdout.trim()})`, printed, c.figures.slice(1));
        const back = join(cluster, 'trained.keras');
        const archive = await readKerasArchive(new Uint8Array(readFileSync(back)), back);
        process.stdout.write(`1 dtrain step + 2 on the cluster: within ${worstOf('cluster', archive, c)} of Keras's change\n`);
      });
    });
  },
);
