/**
 * `export --keras` against live Keras 3: a spec-model run (sharded layouts, clipnorm, EMA) trained
 * here, exported, loaded by `keras.saving.load_model` and continued with `train_on_batch` on the
 * batches our run uses next, must reach the numbers our own continuation (resume) reaches.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { gatherRows, localBatchIndices } from '../../../src/core/data/index';
import { loadDatasetSync } from '../../../src/datasets/load';
import { pythonWithKeras } from '../../helpers/external';
import { kerasContinue, nest, relativeToChange } from '../../helpers/keras-live';
import { IRIS_RUN, finalState, withService } from '../service/helpers';

const keras = pythonWithKeras();
const TOL = 1e-4;

test(
  'an exported run loads in Keras 3 and continues to our numbers',
  { skip: 'reason' in keras ? keras.reason : undefined, timeout: 600_000 },
  async () => {
    const python = 'python' in keras ? keras.python : '';
    await withService(async (service, dir) => {
      const config = { ...IRIS_RUN, steps: 6 };
      const { runId } = await service.startRun(config);
      assert.equal(await service.waitForRun(runId), 'completed', (await service.getRun(runId)).error ?? '');
      const atExport = finalState(dir, runId);
      const archive = join(dir, 'run.keras');
      await service.exportKeras(runId, archive);

      // Our continuation: three more steps on the same mesh.
      await service.resumeRun(runId, { steps: 9 });
      assert.equal(await service.waitForRun(runId), 'completed', (await service.getRun(runId)).error ?? '');
      const ours = finalState(dir, runId);
      const ourLosses = (await service.getMetrics(runId)).filter((p) => p.step > 6).map((p) => p.loss);

      // Keras's: the same batches (the batch at step t depends only on data, batch size, seed and t).
      const data = loadDatasetSync({ kind: 'builtin', name: 'iris' });
      const batches = [6, 7, 8].map((step) => {
        const rows = gatherRows(data, localBatchIndices(data.numExamples, config.globalBatchSize, config.seed, step, 1, 0));
        return { x: nest(rows.x, [config.globalBatchSize, 4]), y: Array.from(rows.y) };
      });
      const k = kerasContinue(python, archive, batches);

      // What Keras loaded is what we saved: weights and every optimizer variable, in Keras's order.
      const ourOrder = ['dense.kernel', 'dense.bias', 'dense_1.kernel', 'dense_1.bias'];
      assert.deepEqual(
        k.loaded.weights.map((w) => w.path),
        ['dense/kernel', 'dense/bias', 'dense_1/kernel', 'dense_1/bias'],
      );
      ourOrder.forEach((p, i) =>
        assert.deepEqual(k.loaded.weights[i]!.values, atExport.values.get(`params/${p}`)!.map(Math.fround), p),
      );
      const slotPaths = (slot: string) => ourOrder.map((p) => `optimizer/Adadelta/${slot}/${p}`);
      const optimizerOrder = [
        ...slotPaths('average'),
        ...ourOrder.flatMap((p) => [`optimizer/Adadelta/accumulated_grad/${p}`, `optimizer/Adadelta/accumulated_delta_var/${p}`]),
      ];
      const kind = (p: string) => p.split('/')[2]!;
      assert.deepEqual(
        k.loaded.optimizer.map((v) =>
          v.path.replace(/^.*\//, '').replace(/^.*_(average|accumulated_grad|accumulated_delta_var)$/, '$1'),
        ),
        ['iteration', 'learning_rate', ...optimizerOrder.map(kind)],
      );
      assert.deepEqual(k.loaded.optimizer[0]!.values, [6]);
      assert.deepEqual(k.loaded.optimizer[1]!.values, [Math.fround(0.5)]);
      optimizerOrder.forEach((p, i) =>
        assert.deepEqual(k.loaded.optimizer[i + 2]!.values, atExport.values.get(p)!.map(Math.fround), p),
      );

      // After three steps each: within 1e-4 of the change since the export.
      ourOrder.forEach((p, i) => {
        const r = relativeToChange(
          k.after.weights[i]!.values,
          ours.values.get(`params/${p}`)!,
          atExport.values.get(`params/${p}`)!,
        );
        assert.ok(r < TOL, `${p}: Keras and dtrain differ by ${r.toExponential(2)} of the change`);
      });
      optimizerOrder.forEach((p, i) => {
        const r = relativeToChange(k.after.optimizer[i + 2]!.values, ours.values.get(p)!, atExport.values.get(p)!);
        assert.ok(r < TOL, `${p}: Keras and dtrain differ by ${r.toExponential(2)} of the change`);
      });
      assert.deepEqual(k.after.optimizer[0]!.values, [9]);
      k.after.losses.forEach((l, i) =>
        assert.ok(
          Math.abs(l - ourLosses[i]!) <= TOL * Math.abs(ourLosses[i]!),
          `loss at step ${7 + i}: Keras ${l}, dtrain ${ourLosses[i]}`,
        ),
      );
    });
  },
);
