/**
 * Whole architectures against live Keras 3 (JAX), at small input sizes: keras.applications' ResNet50,
 * MobileNetV2, EfficientNetB0, DenseNet121 (32×32) and Xception (71×71, its minimum), with weights=None
 * and 5 classes, and the keras.io text models (a Bidirectional LSTM and a masked GRU over
 * `Input(shape=(None,))`, a Transformer encoder with ops-built position ids). Keras trains each two
 * steps and saves it; dtrain continues the archive three steps as a run does (the worker's step, one
 * device, wasm with OpenBLAS where it loads) and on 2 real worker processes for ResNet50 (global
 * BatchNormalization statistics) and the Transformer.
 *
 * The text models run wherever Keras is installed and are held to 1e-4 of Keras's change for every
 * variable. The image networks take about 25 minutes for Keras to make (and a few more per network
 * for their float64 truths), so they run only with DTRAIN_KERAS_ARCHITECTURES=1 (docs/settings.md).
 * Their float32 training is chaotic at the random initialisation: one step of Keras's own float32
 * lands up to 15% (ResNet50) of the step's change away from the same step in float64, and three steps
 * compound that to 10–80% for Keras as for any float32 trainer. So they are held to the float64 truth
 * (tests/helpers/keras_truth.py; docs/keras-models.md, "Whole architectures"): each step, taken from
 * Keras's own float32 state, must land no farther from the float64 step than Keras's float32 step does
 * (the worst of the steps, within STEP_FACTOR, over all variables and for the worst one); the whole
 * continuation is checked for gross errors only (WHOLE_FACTOR), its first loss to 1e-3.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { registerProjectKernels, selectBackend } from '../../../src/core/tfjs';
import type { KerasArchive } from '../../../src/engine/keras/archive';
import { type createTrainerService } from '../../../src/engine/service/index';
import { compareArchives, compareLosses, kerasCaseDir, loadKerasCase, type KerasCase } from '../../helpers/keras-cases';
import { continueAsRun, continueInProcess, type Continued } from '../../helpers/keras-case-run';
import { distancesToTruth, ensureTruth, oneStepCase, readCaseArchive, type TruthDistance } from '../../helpers/keras-truth';
import { loadNativeBlas } from '../../../src/workers/native-blas';
import { suiteService } from '../service/helpers';

const TEXT = ['lstm_text', 'gru_text', 'transformer_encoder'];
const withImages = process.env.DTRAIN_KERAS_ARCHITECTURES === '1';
const IMAGE = ['ResNet50', 'MobileNetV2', 'EfficientNetB0', 'DenseNet121', 'Xception'];
const imageSkip = withImages ? undefined : 'the image architectures run with DTRAIN_KERAS_ARCHITECTURES=1 (about 40 minutes)';
/**
 * The exactness criterion, per step: how much farther from the float64 step than Keras's float32 step
 * dtrain's worst step may land. Measured (worst step, dtrain ÷ Keras): 0.4–1.1 over all variables,
 * 0.6–1.1 for the worst variable, across the five networks.
 */
const STEP_FACTOR = 2;
/**
 * Three compounded steps are chaos, not a measure of exactness: Keras's own float32 run lands 10–80% of
 * the change from float64, its run from perturbed inputs elsewhere, and dtrain's anywhere from 0.4× to
 * 1.8× the farther of the two over all variables depending on which rounding tipped first: a net for
 * gross errors only. The worst single variable (dtrain up to 9.9× Keras's worst, ResNet50 on 2 workers)
 * is printed, not held: an extreme of that chaos has no yardstick.
 */
const WHOLE_FACTOR = 4;

const cases = kerasCaseDir(withImages ? [...TEXT, ...IMAGE] : TEXT);
const skip = 'reason' in cases ? cases.reason : undefined;
const dir = 'dir' in cases ? cases.dir : '';
if (imageSkip) process.stdout.write(`skipping ${IMAGE.join(', ')}: ${imageSkip}\n`);

type Continue = (c: KerasCase) => Promise<Continued>;

function checkText(c: KerasCase, ours: KerasArchive, losses: number[], label: string): void {
  compareLosses(label, losses, c.losses);
  const { worst } = compareArchives(label, ours, c.after, c.before, c.x.shape.slice(1));
  process.stdout.write(`${label}: every variable within ${Math.max(...worst.values()).toExponential(2)} of Keras's change\n`);
}

const shown = (d: TruthDistance) => `${d.relL2.toExponential(2)} (worst ${d.worst.toExponential(2)}, ${d.worstAt})`;

/**
 * Each of the case's steps alone, from Keras's float32 state before it, against that step in float64.
 * A single step's float32 error is dominated by rare events — a ReLU input within rounding of 0 takes
 * the other side and moves every gradient upstream of it — which strike Keras's float32 and dtrain at
 * different steps, so the worst of the steps is compared: dtrain's against Keras's.
 */
async function checkSteps(c: KerasCase, run: Continue, label: string): Promise<void> {
  const ours: TruthDistance[] = [];
  const keras: TruthDistance[] = [];
  for (let k = 0; k < c.steps; k++) {
    const one = await oneStepCase(c, k);
    const r = await run(one);
    const truth = await readCaseArchive(c, `.f64.from${k}.keras`);
    const [o, ks] = distancesToTruth(one, one.before, truth, [r.archive, one.after]) as [TruthDistance, TruthDistance];
    process.stdout.write(
      `${label} step ${k + 1} from Keras's state, distance to float64 / the step's change: dtrain ${shown(o)}, Keras float32 ${shown(ks)}\n`,
    );
    ours.push(o);
    keras.push(ks);
  }
  const worst = (ds: TruthDistance[], key: 'relL2' | 'worst') => Math.max(...ds.map((d) => d[key]));
  for (const key of ['relL2', 'worst'] as const)
    assert.ok(
      worst(ours, key) <= STEP_FACTOR * worst(keras, key),
      `${label}: dtrain's worst step lands ${worst(ours, key).toExponential(2)} from float64 (${key}), Keras float32's ${worst(keras, key).toExponential(2)} (allowed ${STEP_FACTOR}×)`,
    );
}

/** The whole continuation against the float64 continuation, beside Keras's float32 run and its perturbed run. */
async function checkWhole(c: KerasCase, r: Continued, label: string): Promise<void> {
  // The first step starts from the same state: its loss agrees closely even where later ones drift.
  assert.ok(
    Math.abs(r.losses[0]! - c.losses[0]!) <= 1e-3 * Math.abs(c.losses[0]!),
    `${label}: first loss ${r.losses[0]} vs Keras ${c.losses[0]}`,
  );
  const [truth, perturbed] = await Promise.all([readCaseArchive(c, '.f64.keras'), readCaseArchive(c, '.noise.keras')]);
  const [ours, keras, noisy] = distancesToTruth(c, c.before, truth, [r.archive, c.after, perturbed]) as TruthDistance[];
  process.stdout.write(
    `${label} ${c.steps} steps, distance to float64 / the change: dtrain ${shown(ours!)}, Keras float32 ${shown(keras!)}, Keras from perturbed inputs ${shown(noisy!)}; losses ${r.losses.map((l) => l.toFixed(4))}, Keras ${c.losses.map((l) => l.toFixed(4))}\n`,
  );
  const far = Math.max(keras!.relL2, noisy!.relL2);
  assert.ok(
    ours!.relL2 <= WHOLE_FACTOR * far,
    `${label}: dtrain lands ${shown(ours!)} from float64, Keras at most ${far.toExponential(2)} (allowed ${WHOLE_FACTOR}×)`,
  );
}

async function checkCase(name: string, run: Continue, where: string): Promise<void> {
  const t0 = performance.now();
  const c = await loadKerasCase(dir, name);
  const label = `${name} ${where}`;
  if (TEXT.includes(name)) {
    const r = await run(c);
    checkText(c, r.archive, r.losses, label);
  } else {
    ensureTruth(c);
    await checkSteps(c, run, label);
    await checkWhole(c, await run(c), label);
  }
  process.stdout.write(`${label}: test time ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
}

describe('whole architectures continued from Keras archives (1 device, in process)', { skip, timeout: 3_600_000 }, () => {
  before(async () => {
    const s = loadNativeBlas();
    await selectBackend(['wasm'], s.available ? { native: s.native } : {});
  });
  after(() => registerProjectKernels());
  for (const name of [...TEXT, ...IMAGE])
    test(name, { skip: IMAGE.includes(name) ? imageSkip : undefined }, () => checkCase(name, continueInProcess, '(1 device)'));
});

describe('architectures on 2 real worker processes', { skip, timeout: 3_600_000 }, () => {
  let service: Awaited<ReturnType<typeof createTrainerService>>;
  let work = '';
  suiteService('dtrain-archs-', (s, dir) => ((service = s), (work = dir)));
  for (const name of ['transformer_encoder', 'ResNet50'])
    test(`${name} on batch=2`, { skip: IMAGE.includes(name) ? imageSkip : undefined }, () =>
      checkCase(name, (c) => continueAsRun(c, 'batch=2', service, mkdtempSync(join(work, 'run-'))), '(2 workers)'),
    );
});
