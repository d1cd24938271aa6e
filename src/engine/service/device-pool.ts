/**
 * The devices this engine trains on: the GPUs nvidia-smi lists (asked once per engine), else one CPU
 * worker per core; which devices a mesh gets; and whether a run fits in their memory before its row
 * or any worker exists.
 */
import { cpus } from 'node:os';
import type { DeviceInfo } from '../../shared/api';
import { invalidInput } from '../../shared/errors';
import { chooseDevices, cpuDevices, discoverGpus } from '../coordinator/devices';
import type { RunShape } from '../config/run-shape';
import { estimateWorkerMemory, memoryProblem } from './memory-check';
import { checkpointMemoryProblem } from './checkpoint-memory';
import { freemem } from 'node:os';

export interface DevicePoolOptions {
  /** Use CPU workers even where GPUs are present. */
  cpuOnly?: boolean;
  /** Free host memory in bytes (default os.freemem); tests pass a fixed figure. */
  freeMemory?: () => number;
}

export class DevicePool {
  private gpus: Promise<DeviceInfo[]> | undefined;

  constructor(private readonly o: DevicePoolOptions) {}

  private found(): Promise<DeviceInfo[]> {
    return (this.gpus ??= discoverGpus());
  }

  async list(): Promise<DeviceInfo[]> {
    const gpus = await this.found();
    return gpus.length > 0 && !this.o.cpuOnly ? gpus : cpuDevices(cpus().length);
  }

  /** The first `size` devices, or the given ones (a sweep's disjoint groups), each with its own worker. */
  async forMesh(size: number, deviceIds?: number[]): Promise<DeviceInfo[]> {
    if (!deviceIds) return chooseDevices(size, await this.found(), { cpu: this.o.cpuOnly });
    const all = await this.list();
    if (deviceIds.length !== size) throw new Error(`internal: the mesh needs ${size} devices but ${deviceIds.length} were given`);
    return deviceIds.map((id) => {
      const d = all.find((x) => x.deviceId === id);
      if (!d) throw new Error(`internal: no device ${id} (devices: ${all.map((x) => x.deviceId).join(', ')})`);
      return d;
    });
  }

  /** A run that cannot fit in memory is refused before its row or any worker exists. */
  async refuseIfTooBig(run: RunShape): Promise<void> {
    let devices: DeviceInfo[];
    try {
      devices = chooseDevices(run.mesh.size, await this.found(), { cpu: this.o.cpuOnly });
    } catch {
      return; // too few GPUs: the launch says so
    }
    const workers = estimateWorkerMemory(run);
    const free = this.o.freeMemory?.() ?? freemem();
    // The engine holds a whole checkpoint while it writes it: a run that could never be saved is refused too.
    const problem = memoryProblem(workers, run.config, devices, free) ?? checkpointMemoryProblem(run, workers, devices, free);
    if (problem) throw invalidInput(problem);
  }
}
