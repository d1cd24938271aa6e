/** Each problem the probes show, with the command that fixes it; and the report's one-line summary. */
import type { DoctorProblem, WorkerPlan } from '../../shared/doctor';
import { missingGpuLibraries, type Probes } from './workers';

/** CUDA 11.2 runs on drivers from 450.80.02 on (CUDA minor-version compatibility). */
const MIN_DRIVER = [450, 80, 2];
const TFJS_VERSION = '4.22.0';

export function findProblems(p: Probes): DoctorProblem[] {
  const out: DoctorProblem[] = [];
  const warn = (what: string, fix: string) => out.push({ severity: 'warning', what, fix });
  if (p.desktop.sqliteForNodeError) {
    out.push({
      severity: 'error',
      what: `better-sqlite3 does not load in Node, so no run can be stored: ${p.desktop.sqliteForNodeError}`,
      fix: 'npm rebuild better-sqlite3',
    });
  }
  if (!p.wasmBackend.available)
    warn(`the wasm backend is unavailable (${p.wasmBackend.error}); workers fall back to the slow cpu backend`, 'npm ci');
  else nativeBlasProblem(p, warn);
  if (p.gpus.status === 'failed') {
    warn(
      `nvidia-smi failed: ${p.gpus.error}`,
      'sudo modprobe nvidia   # or reboot after installing the NVIDIA driver; then check with: nvidia-smi',
    );
  }
  if (p.gpus.status === 'found') gpuProblems(p, warn);
  if (!p.desktop.electronVersion)
    warn('the electron package is not installed: the desktop app cannot start (dtrain serve works)', 'npm install --include=dev');
  else if (!p.desktop.electronBinary)
    warn(
      `the Electron ${p.desktop.electronVersion} binary is not downloaded: the desktop app cannot start (dtrain serve works)`,
      'node node_modules/electron/install.js',
    );
  if (!p.desktop.sqliteForElectron)
    warn('better-sqlite3 is not built for Electron: the desktop app cannot open its database', 'npm run rebuild:electron');
  return out;
}

/** Without native BLAS the wasm workers' matmuls and convolutions run several times slower. */
function nativeBlasProblem(p: Probes, warn: (what: string, fix: string) => void): void {
  const b = p.nativeBlas;
  if (b.openblas !== null || b.disabled) return;
  const slow = 'wasm workers run matmul and convolution on the slower wasm kernels';
  if (!b.addonBuilt)
    warn(
      `the native BLAS addon is not built (${b.addonPath}): ${slow}`,
      'node scripts/build-native.mjs   # needs a C compiler: apt-get install gcc',
    );
  else if (/^OpenBLAS not found/.test(b.error ?? '')) warn(`${b.error}: ${slow}`, 'apt-get install libopenblas0-pthread');
  else warn(`native BLAS does not work: ${b.error}: ${slow}`, 'node scripts/build-native.mjs');
}

function gpuProblems(p: Probes, warn: (what: string, fix: string) => void): void {
  const old = p.gpus.gpus.find((g) => olderThan(g.driver, MIN_DRIVER));
  if (old)
    warn(
      `NVIDIA driver ${old.driver} is too old for CUDA 11.2 (needs ≥ 450.80.02)`,
      "sudo ubuntu-drivers install   # or your distribution's current nvidia-driver package",
    );
  const tf = p.tfjsNodeGpu;
  if (!tf.installed)
    warn(
      '@tensorflow/tfjs-node-gpu is not installed: the GPUs stay idle and workers train on the CPU',
      `npm install @tensorflow/tfjs-node-gpu@${TFJS_VERSION}`,
    );
  else if (!tf.loads)
    warn(
      `@tensorflow/tfjs-node-gpu ${tf.version} does not load: ${tf.error}`,
      'npm rebuild @tensorflow/tfjs-node-gpu   # downloads libtensorflow 2.9.1 again',
    );
  const missing = new Set(missingGpuLibraries(p));
  const byFile = new Map(p.libraries.map((l) => [l.file, l]));
  const offPath = [...new Set([...missing].map((f) => byFile.get(f)?.offPathDir).filter((d): d is string => !!d))];
  for (const dir of offPath) {
    const files = [...missing].filter((f) => byFile.get(f)?.offPathDir === dir);
    warn(
      `${files.join(', ')} installed in ${dir}, which the loader does not search`,
      `export LD_LIBRARY_PATH=${dir}:$LD_LIBRARY_PATH   # or: echo ${dir} | sudo tee /etc/ld.so.conf.d/cuda.conf && sudo ldconfig`,
    );
    files.forEach((f) => missing.delete(f));
  }
  const group = (test: (f: string) => boolean) => [...missing].filter(test);
  const driver = group((f) => f.startsWith('libcuda.so'));
  const cudnn = group((f) => f.startsWith('libcudnn'));
  const cuda = group((f) => !f.startsWith('libcuda.so') && !f.startsWith('libcudnn'));
  if (driver.length)
    warn(
      `${driver.join(', ')} (part of the NVIDIA driver) not found: TensorFlow computes on the CPU`,
      'sudo ubuntu-drivers install   # installs the driver with libcuda',
    );
  if (cuda.length)
    warn(
      `CUDA 11 libraries not found: ${cuda.join(', ')}: TensorFlow computes on the CPU`,
      "sudo apt-get install cuda-libraries-11-2   # from NVIDIA's CUDA apt repository",
    );
  if (cudnn.length)
    warn(
      `cuDNN 8 libraries not found: ${cudnn.join(', ')}: TensorFlow computes on the CPU`,
      "sudo apt-get install libcudnn8=8.1.1.33-1+cuda11.2   # from NVIDIA's CUDA apt repository",
    );
}

function olderThan(version: string, min: number[]): boolean {
  const parts = version.split('.').map(Number);
  if (parts.some(Number.isNaN)) return false;
  for (let i = 0; i < min.length; i++) if ((parts[i] ?? 0) !== min[i]) return (parts[i] ?? 0) < min[i]!;
  return false;
}

export function summarize(p: Probes, workers: WorkerPlan[], problems: DoctorProblem[]): string {
  const counts = (['error', 'warning'] as const)
    .map((s) => [s, problems.filter((x) => x.severity === s).length] as const)
    .filter(([, n]) => n > 0);
  const tail = counts.length
    ? ` ${counts.map(([s, n]) => `${n} ${s}${n > 1 ? 's' : ''}`).join(', ')} below.`
    : ' No problems found.';
  const first = workers[0];
  const on = first
    ? `${first.backend} backend${first.backend === 'tensorflow' ? ` on the ${first.computesOn}` : ''}`
    : 'no workers';
  if (p.gpus.status !== 'found') {
    const why =
      p.gpus.status === 'no-nvidia-smi'
        ? 'nvidia-smi is not installed'
        : p.gpus.status === 'failed'
          ? 'nvidia-smi failed'
          : 'nvidia-smi lists none';
    return `No NVIDIA GPU (${why}): runs train on ${workers.length} CPU worker(s), ${on}.${tail}`;
  }
  const names = [...new Set(p.gpus.gpus.map((g) => g.name))].join(', ');
  return `${p.gpus.gpus.length} GPU(s) (${names}, driver ${p.gpus.gpus[0]!.driver}): workers use the ${on}.${tail}`;
}
