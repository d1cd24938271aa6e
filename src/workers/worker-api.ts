/** The WorkerApi a device worker exposes: backend selection, setup, training, shard export/import. */
import { selectBackend } from '../core/tfjs/backend';
import { Mesh } from '../core/dtensor/mesh';
import { availableParallelism } from 'node:os';
import { joinRing, type JoinedRing } from './transport/join-ring';
import { commThreadDecision, type CommThreadContext } from '../shared/comm-thread-policy';
import * as tf from '@tensorflow/tfjs-core';
import { DeviceTrainer } from './trainer';
import { resolveStorage } from './device-params';
import { EVENT_TAG, type WorkerApi, type WorkerEvent, type WorkerInit } from '../shared/worker-protocol';
import type { CommThreadChoice } from '../shared/api';
import type { MessageChannelLike } from './endpoints';
import { nativeBlas, nativeBlasNote } from './native-blas';
import { settled } from '../core/async/observed';
import { buildModel } from '../core/models/index';
import { ComputeContext } from '../core/context';
import { ShardExport, ShardImport } from './shard-transfer';
import { lifelineSocketDir } from './lifeline';

/** The socket folder of the ring this process joined (removed by an orphaned worker on its way out). */
export let joinedSocketDir: string | undefined;

export interface WorkerApiOptions {
  /** The communication thread's entry: comm-thread.ts or .js beside the running device-worker entry. */
  commThreadEntry?: URL;
}

export function createWorkerApi(channel: MessageChannelLike, exit: () => void, options: WorkerApiOptions = {}): WorkerApi {
  let init: WorkerInit | undefined;
  let backend = 'unknown';
  let ring: JoinedRing | undefined;
  let trainer: DeviceTrainer | undefined;
  let exporting: ShardExport | undefined;
  let importing: ShardImport | undefined;
  const emit = (event: WorkerEvent) => channel.send({ [EVENT_TAG]: true, event });
  const need = () => {
    if (!trainer || !init) throw new Error('device worker: setup() has not run');
    return trainer;
  };

  let mesh: Mesh | undefined;
  const commContext = (syncedPasses = false): CommThreadContext => ({
    workers: mesh!.size,
    backend,
    cores: availableParallelism(),
    syncedPasses,
  });

  return {
    async init(options) {
      init = options;
      mesh = Mesh.parse(options.mesh);
      const blas = nativeBlas(options.nativeBlas);
      const chosen = await selectBackend(options.backends, { native: blas.native ?? undefined });
      backend = chosen.name;
      const comm = commThreadNote(options.commThread, commContext());
      const notes = [...chosen.skipped.map((s) => `${s.name}: ${s.reason}`), nativeBlasNote(blas, chosen.name), comm];
      return {
        deviceId: options.deviceId,
        pid: process.pid,
        backend,
        backendNotes: notes,
        cudaVisibleDevices: process.env.CUDA_VISIBLE_DEVICES ?? null,
        rssBytes: process.memoryUsage().rss,
      };
    },
    async setup(setup) {
      if (!init || !mesh) throw new Error('device worker: init() has not run');
      joinedSocketDir = setup.socketDir;
      lifelineSocketDir(setup.socketDir);
      // A model whose passes all-reduce (BatchNormalization on a mesh) needs the communication thread.
      const synced = buildModel(setup.model).keras?.graph.syncsBatch === true;
      const threadContext = commContext(synced);
      // This worker's heap and copy meter: the ring counts its staging copies on it, the trainer the rest.
      const context = new ComputeContext();
      ring = await joinRing({
        dir: setup.socketDir,
        deviceId: init.deviceId,
        deviceIds: [...mesh.deviceIds],
        threadEntry: options.commThreadEntry,
        commThread: init.commThread,
        context: threadContext,
        nativeAdd: init.nativeBlas,
        copies: context.copies,
      });
      const storage = resolveStorage(setup.compute.variableStorage, backend);
      trainer = await DeviceTrainer.create(init.deviceId, mesh, setup, ring.collectives, storage, context);
      // The thread's note at init could not know the model; a model that needs the thread says so here.
      const thread = synced && mesh.size > 1 ? { commThread: commThreadNote(init.commThread, threadContext) } : {};
      return {
        paramCount: trainer.paramCount,
        shardBytes: trainer.shardBytes,
        storage,
        parameters: trainer.parametersNote,
        ...thread,
      };
    },
    async train(from, count) {
      const t = need();
      let last = null;
      for (let step = from; step < from + count; step++) {
        last = { ...(await t.step(step)), ...memoryNow() };
        emit({ type: 'step', deviceId: init!.deviceId, report: last });
        // Loss and gradient norm are all-reduced, so every device stops after the same step.
        if (!Number.isFinite(last.loss) || !Number.isFinite(last.gradNorm)) break;
      }
      return last;
    },
    async evaluate() {
      return need().evaluate();
    },
    async exportShards() {
      exporting = new ShardExport(need().shardSources());
      return exporting.headers();
    },
    async readShardPieces(pieces) {
      if (!exporting) throw new Error('device worker: no shard export is staged');
      return exporting.read(pieces);
    },
    async endShardExport() {
      exporting = undefined;
    },
    async variableLayouts() {
      return need().variableLayouts();
    },
    async beginShardImport(shards, iterations) {
      need();
      importing = new ShardImport(shards, iterations);
    },
    async writeShardPieces(pieces) {
      if (!importing) throw new Error('device worker: no shard import was begun');
      importing.write(pieces);
    },
    async commitShardImport() {
      if (!importing) throw new Error('device worker: no shard import was begun');
      const { iterations } = importing;
      const records = importing.complete();
      importing = undefined;
      await need().importShards(records, iterations);
    },
    async stats() {
      const t = need();
      return {
        deviceId: init!.deviceId,
        pid: process.pid,
        backend,
        shardBytes: t.shardBytes,
        rssBytes: process.memoryUsage().rss,
        peakRssBytes: process.resourceUsage().maxRSS * 1024, // KiB on Linux and macOS
        stepTimeMs: t.lastStepMs,
        storage: t.storage,
        numTensors: tf.memory().numTensors,
        profile: t.profiler.snapshot(),
      };
    },
    async ping() {
      return process.pid;
    },
    async shutdown() {
      await settled(trainer?.paramsGathered()); // a gather still running finishes before the links close; shutting down, its outcome does not matter
      await ring?.close();
      ring = undefined;
      setTimeout(exit, 10);
    },
  };
}

/** The resident set now and the peak so far (getrusage's maxrss is in KiB), for the run's system charts. */
function memoryNow(): { rssBytes: number; peakRssBytes: number } {
  return { rssBytes: process.memoryUsage.rss(), peakRssBytes: process.resourceUsage().maxRSS * 1024 };
}

/** The worker log's line on the communication thread: on or off, and why. */
function commThreadNote(choice: CommThreadChoice, ctx: CommThreadContext): string {
  const { on, why } = commThreadDecision(choice, ctx);
  return `communication thread: ${on ? 'on' : 'off'} (${why})`;
}
