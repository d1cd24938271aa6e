/**
 * Entry of a device worker process (Node child_process.fork or Electron utilityProcess). Exposes
 * WorkerApi over comlink on the parent channel; the ring to the other workers runs over Unix sockets,
 * owned by a communication thread (src/workers/transport/comm-thread.ts) when the run's commThread uses one.
 */
import * as Comlink from 'comlink';
import * as tf from '@tensorflow/tfjs-core';
import {
  endpointFor,
  electronParentChannel,
  nodeParentChannel,
  type ElectronParentPort,
  type MessageChannelLike,
} from './endpoints';
import { rmSync } from 'node:fs';
import { readSettings } from '../shared/settings';
import { setDataPlaces } from '../datasets/places';
import { createWorkerApi, joinedSocketDir } from './worker-api';
import { startLifeline } from './lifeline';

function parentChannel(): MessageChannelLike {
  const port = (process as unknown as { parentPort?: ElectronParentPort }).parentPort;
  return port ? electronParentChannel(port) : nodeParentChannel();
}

/**
 * The communication thread's entry, found beside this file rather than beside the module that starts
 * it (a bundle may put that one in a shared chunk): from source the .ts (loaded through tsx), built as
 * out/main/comm-thread.js next to out/main/device-worker.js (electron.vite.config.ts).
 */
const commThreadEntry = new URL(
  import.meta.url.endsWith('.ts') ? './transport/comm-thread.ts' : './comm-thread.js',
  import.meta.url,
);

// First of all: a coordinator killed while this worker is still starting must take it along.
startLifeline();

// The worker's edge: where the data lives comes from its environment (the engine's, inherited, and
// already checked there); its compute path comes from the run (TrainSetup), never from the environment.
const settings = readSettings(process.env);
setDataPlaces({ datasetsDir: settings.datasetsDir, cacheDir: settings.cacheDir, imageCacheMb: settings.imageCacheMb });
tf.env().set('PROD', true); // no debug checks, no tfjs console banners in worker logs
const channel = parentChannel();
Comlink.expose(
  createWorkerApi(channel, () => process.exit(0), { commThreadEntry }),
  endpointFor(channel),
);
// A worker whose coordinator disappears must not linger, nor leave the ring's socket folder behind
// (a killed coordinator cannot remove it; every worker tries, the first one succeeds).
process.on('disconnect', () => {
  if (joinedSocketDir) rmSync(joinedSocketDir, { recursive: true, force: true });
  process.exit(0);
});
