/**
 * A run continued from a Keras 3 archive takes Keras 3's EMA first-step rule (momentum 0 while
 * `iterations` is 0). Live Keras builds a Dense model compiled with Adadelta(use_ema=True), saves it
 * before any training, then trains 2 steps with train_on_batch; the run here continues the archive on
 * the same batches and must reach Keras's weights and EMA averages. The same run forced to the tf.keras
 * 2.x rule must not (so the comparison can fail).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pythonWithKeras } from '../../helpers/external';
import { relativeToChange } from '../../helpers/keras-live';
import { withService, finalState } from '../service/helpers';
import { testSeed } from '../../helpers/seed';
import type { RunConfig } from '../../../src/shared/api';

const keras = pythonWithKeras();
const TOL = 1e-4;

const SCRIPT = `
import json, os, sys
import numpy as np, keras
out, seed = sys.argv[1], int(sys.argv[2])
keras.utils.set_random_seed(seed)
rng = np.random.default_rng(seed)
x = rng.normal(size=(16, 4)).astype("float32")
y = (np.arange(16) % 3).astype("int32")
np.savez(os.path.join(out, "data.npz"), x=x, y=y)
model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
model.compile(optimizer=keras.optimizers.Adadelta(learning_rate=1.0, use_ema=True, ema_momentum=0.9),
              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
model.save(os.path.join(out, "start.keras"))
flat = lambda v: np.asarray(v).astype("float64").ravel().tolist()
at_save = [flat(v) for v in model.trainable_variables]
for s in range(2):
    model.train_on_batch(x[s * 8:(s + 1) * 8], y[s * 8:(s + 1) * 8])
print(json.dumps({"paths": [v.path for v in model.trainable_variables], "at_save": at_save,
                  "weights": [flat(v) for v in model.trainable_variables],
                  "averages": [flat(v) for v in model.optimizer._model_variables_moving_average],
                  "iterations": int(model.optimizer.iterations)}))
`;

interface KerasRecord {
  paths: string[];
  at_save: number[][];
  weights: number[][];
  averages: number[][];
  iterations: number;
}

test(
  "a run from a Keras 3 archive saved at iteration 0 follows Keras 3's EMA first step",
  { skip: 'reason' in keras ? keras.reason : undefined, timeout: 600_000 },
  async () => {
    const python = 'python' in keras ? keras.python : '';
    const SEED = testSeed('ema first step');
    await withService(async (service, dir) => {
      const r = spawnSync(python, ['-c', SCRIPT, dir, String(SEED)], {
        env: { ...process.env, KERAS_BACKEND: 'jax', JAX_PLATFORMS: 'cpu' },
        encoding: 'utf8',
        timeout: 300_000,
      });
      assert.equal(r.status, 0, r.stderr.slice(-2000));
      const k = JSON.parse(r.stdout.trim().split('\n').pop()!) as KerasRecord;
      assert.equal(k.iterations, 2);
      const config = (emaFirstStep?: 'keras2') =>
        ({
          model: { type: 'keras', path: join(dir, 'start.keras') },
          data: { kind: 'npz', path: join(dir, 'data.npz'), x: 'x', y: 'y', shuffle: false },
          mesh: 'batch=1',
          steps: 2,
          globalBatchSize: 8,
          seed: 1,
          checkpointEvery: 0,
          ...(emaFirstStep ? { emaFirstStep } : {}),
        }) as unknown as RunConfig;

      const continued = async (emaFirstStep?: 'keras2') => {
        const { runId } = await service.startRun(config(emaFirstStep));
        assert.equal(await service.waitForRun(runId), 'completed', (await service.getRun(runId)).error ?? '');
        return { run: await service.getRun(runId), state: finalState(dir, runId) };
      };
      // Our paths are Keras's without the model's name; the average slot sits under the optimizer's name.
      const ours = k.paths.map((p) => p.replace(/^sequential\//, ''));
      const slot = (values: Map<string, number[]>, p: string) => [...values].find(([path]) => path.endsWith(`/average/${p}`))![1];

      const keras3 = await continued();
      assert.equal(keras3.run.config.emaFirstStep, 'keras3', 'the rule is stored with the run');
      assert.equal(keras3.state.iterations, 2);
      ours.forEach((p, i) => {
        const w = relativeToChange(keras3.state.values.get(`params/${p}`)!, k.weights[i]!, k.at_save[i]!);
        assert.ok(w < TOL, `${p}: weights differ from Keras by ${w.toExponential(2)} of the change`);
        const a = relativeToChange(slot(keras3.state.values, p), k.averages[i]!, k.at_save[i]!);
        assert.ok(a < TOL, `${p}: EMA average differs from Keras by ${a.toExponential(2)} of the change`);
      });

      // tf.keras 2.x's rule on the same archive: the weights agree, the averages do not.
      const keras2 = await continued('keras2');
      assert.equal(keras2.run.config.emaFirstStep, 'keras2');
      const worst = Math.max(
        ...ours.map((p, i) => relativeToChange(slot(keras2.state.values, p), k.averages[i]!, k.at_save[i]!)),
      );
      assert.ok(
        worst > TOL * 100,
        `with keras2 semantics the averages should miss Keras 3's, but differ by only ${worst.toExponential(2)} of the change`,
      );
    });
  },
);
