import type { Command } from '../command';
import { parse } from '../command';
import { cliSettings } from '../context';

export const doctorCommand: Command = {
  name: 'doctor',
  summary: 'check GPUs, CUDA/cuDNN, tfjs-node-gpu, Electron: what a run would use, and how to fix what is missing',
  help: `Usage: dtrain doctor [--json]

For each GPU what nvidia-smi says (name, driver, memory); whether @tensorflow/tfjs-node-gpu is installed
and loads; the CUDA 11 and cuDNN 8 libraries libtensorflow 2.9.1 needs, found on the loader path or not;
which backend each worker would get and why; whether the native BLAS addon is built and finds OpenBLAS
(matmul and convolution on CPU workers); the Electron binary and better-sqlite3 builds. Every problem
comes with the command that fixes it.

  --json   the report as JSON

Exit code 0 when a run can start here (CPU workers count), 1 when it cannot.`,
  async run(argv) {
    const { values } = parse(argv, { json: { type: 'boolean' } }, 'doctor');
    const { runDoctor } = await import('../../engine/doctor/index');
    const report = await runDoctor({ settings: cliSettings() });
    if (values.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else process.stdout.write((await import('../doctor-text')).doctorText(report));
    return report.canTrain ? 0 : 1;
  },
};
