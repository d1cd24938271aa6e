/**
 * The live-Keras layer cases (tests/helpers/keras_cases.py) as runs of the service, with real worker
 * processes: `"model": {"type": "keras", "path": …}` on 2 devices (data parallel, so every
 * BatchNormalization takes its statistics over the global batch through the communication thread),
 * exported with `export --keras`: every layer variable, non-trainable state and optimizer slot, and the
 * losses, within 1e-4 of what Keras reached on one device. BatchNormalization is also run with a global
 * batch that gives each worker one example (whose own variance is 0 everywhere).
 */
import { describe, test } from 'node:test';
import { type createTrainerService } from '../../../src/engine/service/index';
import { compareArchives, compareLosses, kerasCaseDir, loadKerasCase } from '../../helpers/keras-cases';
import { continueAsRun } from '../../helpers/keras-case-run';
import { LAYER_CASES } from '../../helpers/keras-layer-cases';
import { suiteService } from '../service/helpers';

const ONE_EACH = 'batchnorm_pairs';
const cases = kerasCaseDir([...LAYER_CASES, ONE_EACH]);
const skip = 'reason' in cases ? cases.reason : undefined;
const dir = 'dir' in cases ? cases.dir : '';

describe('Keras layer cases as runs on real worker processes', { skip, timeout: 1_800_000 }, () => {
  let service: Awaited<ReturnType<typeof createTrainerService>>;
  let work = '';
  suiteService('dtrain-layers-mesh-', (s, dir) => ((service = s), (work = dir)));

  const run = async (name: string, mesh: string) => {
    const c = await loadKerasCase(dir, name);
    const r = await continueAsRun(c, mesh, service, work);
    compareLosses(`${name} on ${mesh}`, r.losses, c.losses);
    const { worst } = compareArchives(`${name} on ${mesh}`, r.archive, c.after, c.before, c.x.shape.slice(1));
    process.stdout.write(`${name} on ${mesh}: worst ${Math.max(...worst.values()).toExponential(2)} of Keras's change\n`);
    return r;
  };

  for (const name of LAYER_CASES) test(`${name} on 2 devices: Keras's numbers`, () => run(name, 'batch=2').then(() => {}));

  test("BatchNormalization, one example per worker (batch=2, global batch 2): the global batch's statistics, as Keras on one device", () =>
    run(ONE_EACH, 'batch=2').then(() => {}));
  test('BatchNormalization on 1 device: the same numbers', () => run(ONE_EACH, 'batch=1').then(() => {}));
});
