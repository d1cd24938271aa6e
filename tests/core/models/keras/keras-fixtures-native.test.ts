// The Keras 3 fixture cases continued on the wasm backend with the native-BLAS kernels (matmul and conv
// on OpenBLAS) still match what Keras 3.15.1 reached, within the same tolerances as on the cpu backend.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { registerProjectKernels, selectBackend } from '../../../../src/core/tfjs';
import { keras3Fixtures } from '../../../helpers/external';
import { nativeForTests } from '../../../helpers/native-blas';
import { CASES, readCase } from './fixture-case';
import { compareWithKeras, continueCase } from './continuation';

const fixtures = keras3Fixtures();
const { native, skip: noNative } = nativeForTests();
const skip = 'reason' in fixtures ? fixtures.reason : noNative;

describe('Keras 3 fixtures on wasm with native BLAS: continue training and match Keras', { skip }, () => {
  before(async () => {
    assert.equal((await selectBackend(['wasm'], { native: native! })).nativeBlas, true);
  });
  after(() => registerProjectKernels());
  for (const name of CASES) {
    for (const mesh of ['batch=1', 'batch=2']) {
      test(`${name}: ${mesh}`, async () => {
        const c = readCase((fixtures as { dir: string }).dir, name);
        compareWithKeras(c, await continueCase(c, mesh));
      });
    }
  }
});
