/**
 * Entry of a device worker process (Node child_process.fork or Electron utilityProcess). Exposes
 * WorkerApi over comlink on the parent channel; the ring to the other workers runs over Unix sockets.
 */
import * as Comlink from 'comlink';
import * as tf from '@tensorflow/tfjs-core';
import { endpointFor, electronParentChannel, nodeParentChannel, type ElectronParentPort, type MessageChannelLike } from './endpoints';
import { rmSync } from 'node:fs';
import { createWorkerApi, joinedSocketDir } from './worker-api';

function parentChannel(): MessageChannelLike {
  const port = (process as unknown as { parentPort?: ElectronParentPort }).parentPort;
  return port ? electronParentChannel(port) : nodeParentChannel();
}

tf.env().set('PROD', true); // no debug checks, no tfjs console banners in worker logs
const channel = parentChannel();
Comlink.expose(createWorkerApi(channel, () => process.exit(0)), endpointFor(channel));
// A worker whose coordinator disappears must not linger, nor leave the ring's socket folder behind
// (a killed coordinator cannot remove it; every worker tries, the first one succeeds).
process.on('disconnect', () => {
  if (joinedSocketDir) rmSync(joinedSocketDir, { recursive: true, force: true });
  process.exit(0);
});
