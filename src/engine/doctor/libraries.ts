/**
 * The shared libraries libtensorflow 2.9.1 (the one @tensorflow/tfjs-node-gpu 4.x downloads, built for
 * CUDA 11.2 and cuDNN 8.1) opens with dlopen when it starts a GPU device, and where the dynamic loader
 * would find each: LD_LIBRARY_PATH, then the ldconfig cache, then the system directories. TensorFlow
 * does not fail when one is missing: it warns and computes on the CPU, which is why this is checked.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { LibraryProbe } from '../../shared/doctor';

/** File name → what it is. The versions are the sonames TensorFlow 2.9's dso_loader asks for. */
export const TENSORFLOW_GPU_LIBRARIES: readonly (readonly [string, string])[] = [
  ['libcuda.so.1', 'NVIDIA driver (CUDA driver API)'],
  ['libcudart.so.11.0', 'CUDA 11 runtime'],
  ['libcublas.so.11', 'cuBLAS 11'],
  ['libcublasLt.so.11', 'cuBLASLt 11'],
  ['libcufft.so.10', 'cuFFT 10 (CUDA 11)'],
  ['libcurand.so.10', 'cuRAND 10 (CUDA 11)'],
  ['libcusolver.so.11', 'cuSOLVER 11'],
  ['libcusparse.so.11', 'cuSPARSE 11'],
  ['libcudnn.so.8', 'cuDNN 8'],
  // cuDNN 8's libcudnn.so.8 is a dispatcher: it opens these sub-libraries for convolutions and the rest.
  ['libcudnn_ops_infer.so.8', 'cuDNN 8 ops (inference)'],
  ['libcudnn_ops_train.so.8', 'cuDNN 8 ops (training)'],
  ['libcudnn_cnn_infer.so.8', 'cuDNN 8 convolutions (inference)'],
  ['libcudnn_cnn_train.so.8', 'cuDNN 8 convolutions (training)'],
];

/** The loader's trusted directories (after LD_LIBRARY_PATH and the cache). */
export const SYSTEM_LIB_DIRS = ['/lib', '/usr/lib', '/lib64', '/usr/lib64', `/lib/${multiarch()}`, `/usr/lib/${multiarch()}`];

/** Where CUDA and cuDNN are often installed without being on the loader's path. */
const CUDA_HOMES = ['/usr/local/cuda/lib64', '/usr/local/cuda/targets/x86_64-linux/lib', '/opt/cuda/lib64'];

function multiarch(): string {
  return process.arch === 'arm64' ? 'aarch64-linux-gnu' : 'x86_64-linux-gnu';
}

export interface LibrarySearch {
  env?: NodeJS.ProcessEnv;
  /** `ldconfig -p` output; by default read by running ldconfig (PATH, then /sbin, /usr/sbin). */
  ldconfigOutput?: string;
  systemDirs?: readonly string[];
  /** Extra places to look for libraries that are installed but not on the loader's path. */
  cudaHomes?: readonly string[];
}

export async function probeLibraries(search: LibrarySearch = {}): Promise<LibraryProbe[]> {
  const env = search.env ?? process.env;
  const cache = parseLdconfig(search.ldconfigOutput ?? (await readLdconfig(env)));
  const ldDirs = (env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean);
  const systemDirs = search.systemDirs ?? SYSTEM_LIB_DIRS;
  const homes = [...(search.cudaHomes ?? CUDA_HOMES), ...(search.cudaHomes ? [] : versionedCudaHomes())];
  return TENSORFLOW_GPU_LIBRARIES.map(([file, what]) => {
    const inLd = ldDirs.find((d) => existsSync(join(d, file)));
    if (inLd) return found(file, what, join(inLd, file), 'LD_LIBRARY_PATH');
    const cached = cache.get(file);
    if (cached) return found(file, what, cached, 'ldconfig');
    const inSystem = systemDirs.find((d) => existsSync(join(d, file)));
    if (inSystem) return found(file, what, join(inSystem, file), 'system dir');
    return { file, what, path: null, via: null, offPathDir: homes.find((d) => existsSync(join(d, file))) ?? null };
  });
}

const found = (file: string, what: string, path: string, via: LibraryProbe['via']): LibraryProbe => ({
  file,
  what,
  path,
  via,
  offPathDir: null,
});

/** /usr/local/cuda-11.2/lib64 and friends. */
function versionedCudaHomes(): string[] {
  try {
    return readdirSync('/usr/local')
      .filter((d) => /^cuda-\d/.test(d))
      .map((d) => `/usr/local/${d}/lib64`);
  } catch {
    return [];
  }
}

/** soname → path, for this machine's architecture only (`ldconfig -p` also lists 32-bit libraries). */
export function parseLdconfig(text: string): Map<string, string> {
  const arch = process.arch === 'arm64' ? 'AArch64' : 'x86-64';
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^\s*(\S+)\s+\(([^)]*)\)\s+=>\s+(\S+)/.exec(line);
    if (m && m[2]!.includes(arch) && !out.has(m[1]!)) out.set(m[1]!, m[3]!);
  }
  return out;
}

async function readLdconfig(env: NodeJS.ProcessEnv): Promise<string> {
  for (const cmd of ['ldconfig', '/sbin/ldconfig', '/usr/sbin/ldconfig']) {
    const out = await new Promise<string | null>((resolve) =>
      execFile(cmd, ['-p'], { env, timeout: 10_000, maxBuffer: 32 * 1024 * 1024 }, (err, stdout) => resolve(err ? null : stdout)),
    );
    if (out !== null) return out;
  }
  return '';
}
