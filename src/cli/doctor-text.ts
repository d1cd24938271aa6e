/** `dtrain doctor`'s plain-text report: summary, GPUs, tfjs-node-gpu, libraries, workers, desktop, problems. */
import type { DoctorReport, WorkerPlan } from '../shared/doctor';
import { table } from './text';

export function doctorText(r: DoctorReport): string {
  const out: string[] = [r.summary, ''];
  out.push('GPUs (nvidia-smi)');
  if (r.gpus.status === 'found') {
    out.push(
      table([
        ['index', 'name', 'driver', 'memory'],
        ...r.gpus.gpus.map((g) => [String(g.index), g.name, g.driver, memory(g.memoryUsedMiB, g.memoryTotalMiB)]),
      ]).trimEnd(),
    );
  } else {
    out.push(
      `  ${r.gpus.status === 'no-nvidia-smi' ? 'none: nvidia-smi is not installed (no NVIDIA driver)' : r.gpus.status === 'failed' ? `none: nvidia-smi failed: ${r.gpus.error}` : 'none: nvidia-smi lists no GPU'}`,
    );
  }
  const tf = r.tfjsNodeGpu;
  out.push('', '@tensorflow/tfjs-node-gpu');
  out.push(
    `  ${!tf.installed ? 'not installed' : tf.loads ? `${tf.version}: loads${tf.usesGpu === null ? '' : tf.usesGpu ? ', TensorFlow uses a GPU' : ', TensorFlow sees no GPU'}` : `${tf.version}: does not load: ${tf.error}`}`,
  );
  out.push('', 'CUDA 11 / cuDNN 8 libraries libtensorflow 2.9.1 opens (found by the dynamic loader?)');
  out.push(
    table(
      r.libraries.map((l) => [
        `  ${l.file}`,
        l.path ? `${l.path} (${l.via})` : l.offPathDir ? `not on the loader path (in ${l.offPathDir})` : 'missing',
        l.what,
      ]),
    ).trimEnd(),
  );
  const b = r.nativeBlas;
  out.push('', 'Native BLAS for the wasm workers (matmul, convolution)');
  out.push(`  addon: ${b.addonBuilt ? b.addonPath : `not built (${b.addonPath} missing)`}`);
  out.push(
    `  OpenBLAS: ${b.openblas ?? (b.disabled ? 'not opened: DTRAIN_NATIVE_BLAS=0' : b.addonBuilt ? `not usable: ${b.error}` : 'not checked (no addon)')}`,
  );
  out.push('', 'Workers a run would start');
  out.push(...groupWorkers(r.workers).map(([devices, w]) => `  ${devices}: ${computePath(w)} — ${w.why}`));
  const d = r.desktop;
  out.push('', 'Desktop app');
  out.push(
    `  Electron: ${!d.electronVersion ? 'not installed' : d.electronBinary ? `${d.electronVersion} (${d.electronBinary})` : `${d.electronVersion}, binary not downloaded`}`,
  );
  out.push(`  better-sqlite3 for Electron: ${d.sqliteForElectron ?? 'not built'}`);
  out.push(`  better-sqlite3 for Node: ${d.sqliteForNodeError ? `does not load: ${d.sqliteForNodeError}` : 'loads'}`);
  out.push('', r.problems.length ? 'Problems and fixes' : 'No problems found.');
  for (const p of r.problems) out.push(`  ${p.severity}: ${p.what}`, `    fix: ${p.fix}`);
  out.push('', r.canTrain ? 'This machine can train.' : 'This machine cannot train until the errors above are fixed.');
  return `${out.join('\n')}\n`;
}

/** backend, kernels, storage and communication thread: the compute path a worker takes. */
export function computePath(w: WorkerPlan): string {
  const backend =
    w.backend === 'tensorflow'
      ? `tensorflow on the ${w.computesOn}`
      : w.backend === 'wasm'
        ? `wasm, ${w.nativeBlas ? 'matmul and convolution on native BLAS' : 'wasm kernels (no native BLAS)'}`
        : 'cpu';
  return `${backend}, ${w.storage} storage, communication thread ${w.commThread.on ? 'on' : 'off'} (${w.commThread.why})`;
}

function memory(used: number | null, total: number | null): string {
  const gib = (m: number | null) => (m === null ? '?' : (m / 1024).toFixed(1));
  return `${gib(used)} / ${gib(total)} GiB used`;
}

/** Identical CPU workers print as one line ("CPU workers 0–7"); GPU workers one line each. */
function groupWorkers(workers: WorkerPlan[]): [string, WorkerPlan][] {
  const groups: [string, WorkerPlan][] = [];
  let start = 0;
  for (let i = 1; i <= workers.length; i++) {
    const a = workers[start]!;
    const b = workers[i];
    if (b && a.device.startsWith('CPU') && b.device.startsWith('CPU') && computePath(a) === computePath(b) && a.why === b.why)
      continue;
    groups.push([i - start > 1 ? `CPU workers ${a.deviceId}–${workers[i - 1]!.deviceId}` : a.device, a]);
    start = i;
  }
  return groups;
}
