// Device discovery reads nvidia-smi through the doctor's parser: a GPU name with a comma, or a board
// that reports "[N/A]" memory, must not shift the memory column (the run's memory check uses it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fakeBin, tempDir } from '../doctor/fakes';
import { chooseDevices, discoverGpus } from '../../../src/engine/coordinator/devices';

const envWith = (bin: string) => ({ ...process.env, PATH: `${bin}:/usr/bin:/bin` });
const MiB = 1024 * 1024;

test('discoverGpus: every listed GPU with its total memory; a comma in the name or [N/A] memory is read right', async () => {
  const csv =
    '0, NVIDIA GeForce RTX 3090, 535.104.05, 24576, 1024\n1, Tesla V100, PCIe 32GB, 535.104.05, 32768, 0\n2, NVIDIA A100-SXM4-40GB, 535.104.05, [N/A], [N/A]\n';
  const gpus = await discoverGpus(envWith(fakeBin({ csv })));
  assert.deepEqual(gpus, [
    { deviceId: 0, label: 'GPU 0 (NVIDIA GeForce RTX 3090)', kind: 'GPU', memoryBytes: 24576 * MiB },
    { deviceId: 1, label: 'GPU 1 (Tesla V100, PCIe 32GB)', kind: 'GPU', memoryBytes: 32768 * MiB },
    { deviceId: 2, label: 'GPU 2 (NVIDIA A100-SXM4-40GB)', kind: 'GPU' },
  ]);
  assert.deepEqual(
    chooseDevices(2, gpus).map((d) => d.memoryBytes),
    [24576 * MiB, 32768 * MiB],
  );
});

test('discoverGpus: no nvidia-smi, or one that fails, means no GPUs (CPU workers stand in)', async () => {
  assert.deepEqual(await discoverGpus({ ...process.env, PATH: tempDir('no-smi') }), []);
  assert.deepEqual(await discoverGpus(envWith(fakeBin({ failWith: 'NVIDIA-SMI has failed' }))), []);
});
