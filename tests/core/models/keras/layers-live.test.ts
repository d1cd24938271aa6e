/**
 * Every layer family against live Keras 3 (JAX backend): each case (tests/helpers/keras_cases.py) is a
 * small model Keras built, trained two steps, saved, and trained three more steps on recorded batches.
 * dtrain reads the saved archive as a run does, takes the same three steps with the worker's step (one
 * device, in this process) on both CPU matmul paths — OpenBLAS and the wasm kernels — and exports its
 * state: every layer variable (non-trainable ones included), every optimizer slot and the losses are
 * within 1e-4 of Keras's change. Keras then loads the exported archive and trains on.
 * Multi-device runs with real worker processes: tests/engine/keras/layers-mesh.test.ts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registerProjectKernels, selectBackend } from '../../../../src/core/tfjs';
import { writeKerasArchive } from '../../../../src/engine/keras/archive';
import { nativeForTests } from '../../../helpers/native-blas';
import { compareArchives, compareLosses, kerasCaseDir, kerasLoadCheck, loadKerasCase } from '../../../helpers/keras-cases';
import { continueInProcess } from '../../../helpers/keras-case-run';
import { LAYER_CASES } from '../../../helpers/keras-layer-cases';

const cases = kerasCaseDir(LAYER_CASES);
const skip = 'reason' in cases ? cases.reason : undefined;
const dir = 'dir' in cases ? cases.dir : '';
const { native, skip: noNative } = nativeForTests();

const PATHS = [
  { name: 'wasm+blas', native: true, skip: noNative || undefined },
  { name: 'wasm', native: false, skip: undefined },
];

const work = mkdtempSync(join(tmpdir(), 'dtrain-layers-live-'));
after(() => rmSync(work, { recursive: true, force: true }));
/**
 * Cases Keras loads back (each costs a model build and a JIT compile in Keras; the archives of every
 * case are compared with Keras's own above): state, sub-layer groups, nested groups, masks, ops.
 */
const LOADED_BACK = ['batchnorm', 'bidirectional', 'attention', 'text_masking', 'nested', 'preprocessing'];
/** The archives exported on the last path, for Keras to load. */
const exported: { ours: string; theirs: string; data: string }[] = [];

for (const path of PATHS) {
  describe(`Keras layers continued on ${path.name} (1 device)`, { skip: skip ?? path.skip }, () => {
    before(async () => {
      const b = await selectBackend(['wasm'], path.native ? { native: native! } : {});
      assert.equal(b.nativeBlas ?? false, path.native);
    });
    after(() => registerProjectKernels());
    for (const name of LAYER_CASES) {
      test(`${name}: weights, state, optimizer slots and losses within 1e-4 of Keras's change`, async () => {
        const c = await loadKerasCase(dir, name);
        const r = await continueInProcess(c);
        compareLosses(name, r.losses, c.losses);
        const { worst, noise } = compareArchives(name, r.archive, c.after, c.before, c.x.shape.slice(1));
        const max = Math.max(...worst.values());
        process.stdout.write(
          `${name} (${path.name}): worst ${max.toExponential(2)} of Keras's change; noise-level variables: ${noise.length}\n`,
        );
        if (path === PATHS[PATHS.length - 1] && LOADED_BACK.includes(name)) {
          const file = join(work, `${name}.keras`);
          writeFileSync(file, await writeKerasArchive(r.archive));
          exported.push({ ours: file, theirs: join(dir, `${name}.after.keras`), data: join(dir, `${name}.npz`) });
        }
      });
    }
  });
}

test(
  'Keras 3 loads each exported archive (optimizer state intact) and trains on as from its own',
  { skip, timeout: 900_000 },
  () => {
    assert.equal(exported.length, LOADED_BACK.length, 'every case was exported');
    kerasLoadCheck(exported).forEach((r, i) => {
      const name = LOADED_BACK[i]!;
      assert.ok(r.loaded_equal, `${name}: Keras loaded other optimizer values than the archive holds`);
      assert.ok(
        Math.abs(r.loss_ours - r.loss_keras) <= 1e-4 * Math.max(Math.abs(r.loss_keras), 1e-3),
        `${name}: loss ${r.loss_ours} vs ${r.loss_keras}`,
      );
      assert.ok(
        r.worst_vs_step_change < 1e-2,
        `${name}: one more Keras step from our archive lands ${r.worst_vs_step_change.toExponential(2)} of the step's change from Keras's own`,
      );
      assert.ok(
        r.noise_vs_floor <= 1,
        `${name}: a noise-level variable lands ${r.noise_vs_floor.toExponential(2)} of its allowance from Keras's own`,
      );
      process.stdout.write(
        `${name}: Keras trained on from our archive, ${r.worst_vs_step_change.toExponential(2)} of the step's change from its own\n`,
      );
    });
  },
);
