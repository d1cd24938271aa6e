// Resident parameters change no number: real worker processes train the same run with forward
// reading the parameters where they live (DTRAIN_RESIDENT_PARAMS unset: one device shares the
// optimizer's heap with the wasm backend, several gather into resident tensors) and with the
// parameters uploaded every step (DTRAIN_RESIDENT_PARAMS=0). Every reported loss and every exported
// shard of parameters and optimizer slots must be the same bits. The model (1.3 MB of parameters)
// makes the backend's memory grow during the first steps, while heap views are in use.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TWO_BUCKET_MLP, bits, trainRun } from '../helpers/train-run';

const STEPS = 4;

for (const [mesh, thread] of [['batch=1', '0'], ['batch=2', '0'], ['batch=2', '1']] as const) {
  test(`${mesh}${thread === '1' ? ', communication thread' : ''}: resident parameters give the uploaded parameters' bits`, { timeout: 120_000 }, async () => {
    const uploaded = await trainRun(mesh, TWO_BUCKET_MLP, STEPS, { DTRAIN_RESIDENT_PARAMS: '0', DTRAIN_COMM_THREAD: thread });
    const resident = await trainRun(mesh, TWO_BUCKET_MLP, STEPS, { DTRAIN_RESIDENT_PARAMS: '1', DTRAIN_COMM_THREAD: thread });
    assert.equal(uploaded.losses.length, STEPS);
    assert.ok(uploaded.losses[STEPS - 1]! < uploaded.losses[0]!, `it trains: ${uploaded.losses}`);
    assert.deepEqual(resident.losses, uploaded.losses);
    assert.deepEqual(resident.shards.map((s) => s.path), uploaded.shards.map((s) => s.path));
    uploaded.shards.forEach((s, i) => assert.equal(bits(resident.shards[i]!.data), bits(s.data), `${s.path} from ${JSON.stringify(s.slices)}`));
  });
}
