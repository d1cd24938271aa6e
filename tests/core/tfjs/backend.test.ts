// selectBackend: order of preference, reasons recorded for skipped backends, project kernels on wasm.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { getKernel } from '@tensorflow/tfjs-core';
import { projectKernelsRegistered, selectBackend } from '../../../src/core/tfjs';

const NODE_GPU = '@tensorflow/tfjs-node-gpu';
const nodeGpuInstalled = await import(NODE_GPU).then(
  () => true,
  () => false,
);

/** selectBackend(['wasm', 'cpu'], { wasmDir }) in a fresh process (wasm loads once per process). */
function selectInChild(wasmDir: string): { name: string; reason: string } {
  const entry = resolve('src/core/tfjs/backend.ts');
  const script = `import { selectBackend } from ${JSON.stringify(entry)};
    const s = await selectBackend(['wasm', 'cpu'], { wasmDir: ${JSON.stringify(wasmDir)} });
    console.log('RESULT ' + JSON.stringify({ name: s.name, reason: s.reason }));`;
  const out = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
  const line = out.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  assert.ok(line, `child failed: ${out.stderr.slice(0, 500)}`);
  return JSON.parse(line.slice(7));
}

describe(
  'selectBackend',
  { skip: nodeGpuInstalled && 'tfjs-node-gpu is installed: the wasm-first expectations do not apply' },
  () => {
    test('default order: tensorflow (tfjs-node-gpu, not installed here) is skipped with its reason, wasm is chosen', async () => {
      const sel = await selectBackend();
      assert.equal(sel.name, 'wasm');
      assert.equal(tf.getBackend(), 'wasm');
      assert.equal(sel.skipped.length, 1);
      assert.equal(sel.skipped[0].name, 'tensorflow');
      assert.match(sel.skipped[0].reason, /@tensorflow\/tfjs-node-gpu did not load/);
      assert.match(sel.reason, /^wasm loaded .*; tensorflow skipped: /);
      assert.ok(projectKernelsRegistered());
      for (const k of [
        'BatchMatMul',
        'Conv2DBackpropFilter',
        'Conv2DBackpropInput',
        'MaxPoolGrad',
        'Sum',
        'UnsortedSegmentSum',
      ]) {
        assert.ok(sel.projectKernels.includes(k), k);
      }
    });

    test('wasm runs single-threaded and computes', async () => {
      await selectBackend(['wasm']);
      assert.equal(tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT'), false);
      const y = tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]]));
      assert.deepEqual(Array.from(y.dataSync()), [11]);
    });

    test('a preference list is honoured (cpu only) and conv training kernels exist on wasm afterwards', async () => {
      const sel = await selectBackend(['cpu']);
      assert.equal(sel.name, 'cpu');
      assert.equal(tf.getBackend(), 'cpu');
      assert.deepEqual(sel.projectKernels, []);
      assert.ok(getKernel('Conv2DBackpropFilter', 'wasm') !== undefined);
      await selectBackend(['wasm']);
    });

    test('wasmDir: loads the .wasm files from the given directory; a wrong one falls back to cpu with the reason', () => {
      const dist = dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm'));
      const dir = mkdtempSync(join(tmpdir(), 'wasm-'));
      try {
        for (const f of readdirSync(dist).filter((n) => n.endsWith('.wasm'))) copyFileSync(join(dist, f), join(dir, f));
        assert.equal(selectInChild(dir).name, 'wasm');
        const missing = selectInChild(join(dir, 'missing'));
        assert.equal(missing.name, 'cpu');
        assert.match(missing.reason, /wasm skipped: the 'wasm' backend failed to initialise \(are the \.wasm files in wasmDir/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    test('no usable backend is an error listing every reason', async () => {
      await assert.rejects(
        selectBackend(['tensorflow']),
        /no tfjs backend available: tensorflow: @tensorflow\/tfjs-node-gpu did not load/,
      );
      await assert.rejects(selectBackend([]), /empty preference list/);
    });
  },
);
