/**
 * `dtrain doctor` and the dashboard's device panel: runs every probe (nvidia-smi, the CUDA/cuDNN
 * libraries, tfjs-node-gpu, the wasm backend and its native BLAS, Electron and better-sqlite3) and plans
 * the workers.
 */
import { cpus } from 'node:os';
import type { DoctorReport } from '../../shared/doctor';
import { readSettings, type Settings } from '../../shared/settings';
import { probeGpus } from './nvidia-smi';
import { probeLibraries } from './libraries';
import { probeTfjsNodeGpu } from './tfjs-node-gpu';
import { probeDesktop } from './desktop';
import { probeWasm } from './wasm';
import { probeNativeBlas } from './native-blas';
import { planWorkers } from './workers';
import { findProblems, summarize } from './problems';
import { projectRoot } from './project-root';

export interface DoctorOptions {
  /** What the probes search (PATH, LD_LIBRARY_PATH); default this process's environment. */
  env?: NodeJS.ProcessEnv;
  /** The DTRAIN_* settings a new run here would take (default: read from `env`). */
  settings?: Settings;
  root?: string;
  cpuCount?: number;
}

export async function runDoctor(options: DoctorOptions = {}): Promise<DoctorReport> {
  const env = options.env ?? process.env;
  const { compute } = options.settings ?? readSettings(env);
  const root = options.root ?? projectRoot();
  const [gpus, libraries, tfjsNodeGpu] = await Promise.all([
    probeGpus(env),
    probeLibraries({ env }),
    probeTfjsNodeGpu(root, env),
  ]);
  const probes = {
    gpus,
    libraries,
    tfjsNodeGpu,
    wasmBackend: probeWasm(root),
    nativeBlas: probeNativeBlas(root, compute.nativeBlas ?? true),
    desktop: probeDesktop(root),
  };
  const workers = planWorkers(probes, options.cpuCount ?? cpus().length, compute);
  const problems = findProblems(probes);
  return {
    canTrain: !problems.some((p) => p.severity === 'error') && workers.length > 0,
    summary: summarize(probes, workers, problems),
    ...probes,
    workers,
    problems,
  };
}
