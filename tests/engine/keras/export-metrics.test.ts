/**
 * An exported archive keeps the run's metrics in compile_config (it wrote `metrics: null`, so Keras's
 * evaluate and fit on it, and a run brought back from the cluster, reported the loss alone), and
 * live Keras 3 then reports the same accuracy as dtrain's evaluate on the same data.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readKerasArchive } from '../../../src/engine/keras/archive';
import { loadDatasetSync } from '../../../src/datasets/load';
import { pythonWithKeras } from '../../helpers/external';
import { IRIS_RUN, withService } from '../service/helpers';

const keras = pythonWithKeras();

test(
  "the exported archive's compile_config carries the run's metrics, and Keras reports them",
  { timeout: 300_000 },
  async (t) => {
    await withService(async (service, dir) => {
      const { runId } = await service.startRun({ ...IRIS_RUN, steps: 8 });
      assert.equal(await service.waitForRun(runId), 'completed', (await service.getRun(runId)).error ?? '');
      const file = join(dir, 'run.keras');
      await service.exportKeras(runId, file);
      const archive = await readKerasArchive(new Uint8Array(readFileSync(file)), file);
      assert.deepEqual((archive.config.compile_config as { metrics: unknown }).metrics, ['accuracy']);

      if ('reason' in keras) return t.skip(`live Keras: ${keras.reason}`);
      const ours = await service.evaluateRun(runId, { data: { kind: 'builtin', name: 'iris' } });
      const data = loadDatasetSync({ kind: 'builtin', name: 'iris' });
      writeFileSync(
        join(dir, 'iris.json'),
        JSON.stringify({ x: Array.from(data.x), y: Array.from(data.y as Int32Array), n: data.numExamples }),
      );
      const script = `
import json, sys, numpy as np, keras
d = json.load(open(sys.argv[2]))
m = keras.saving.load_model(sys.argv[1])
r = m.evaluate(np.array(d['x'], 'float32').reshape(d['n'], -1), np.array(d['y']), batch_size=d['n'], verbose=0, return_dict=True)
print(json.dumps({k: float(v) for k, v in r.items()}))`;
      const r = spawnSync(keras.python, ['-c', script, file, join(dir, 'iris.json')], {
        env: { ...process.env, KERAS_BACKEND: 'jax', JAX_PLATFORMS: 'cpu' },
        encoding: 'utf8',
        timeout: 240_000,
      });
      assert.equal(r.status, 0, r.stderr.slice(-2000));
      const theirs = JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, number>;
      assert.ok('accuracy' in theirs, `Keras reports ${Object.keys(theirs)}`);
      assert.equal(theirs.accuracy, Math.fround(ours.metrics.accuracy!), 'Keras keeps the metric in float32');
      assert.ok(Math.abs(theirs.loss! - ours.loss) <= 1e-5 * Math.max(1, ours.loss), `loss ${theirs.loss} vs ${ours.loss}`);
    });
  },
);
