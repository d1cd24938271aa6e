/**
 * The devices this engine trains on: the GPUs nvidia-smi lists (asked once per engine), else one CPU
 * worker per core; which devices a mesh gets; and whether a run fits in their memory before its row
 * or any worker exists.
 */
import { cpus, freemem } from 'node:os';
import type { DeviceInfo, RunMemory } from '../../shared/api';
import { invalidInput } from '../../shared/errors';
import { chooseDevices, cpuDevices, discoverGpus } from '../coordinator/devices';
import type { MemoryPlan } from '../config/memory-fit';
import { planRunMemory, runMemoryOf, type PlannedRun } from '../config/run-memory';
import { dataStreaming } from '../../datasets/streaming';

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

  /**
   * A run that cannot fit in memory is refused before its row or any worker exists; one that fits
   * gets its plan, recorded with the run: whether its parameters are fully sharded ("auto": only
   * when gathered ones do not fit) and the estimate of a worker's peak.
   */
  async refuseIfTooBig(run: PlannedRun): Promise<RunMemory | undefined> {
    const plan = await this.planMemory(run);
    if (plan?.problem) throw invalidInput(plan.problem);
    return plan && runMemoryOf(run.config, plan);
  }

  /**
   * The memory check's plan of a run on the devices it would get (docs/architecture.md, "The memory
   * model"); undefined when there are too few GPUs for its mesh (the launch says so).
   */
  async planMemory(run: PlannedRun): Promise<MemoryPlan | undefined> {
    let devices: DeviceInfo[];
    try {
      devices = chooseDevices(run.mesh.size, await this.found(), { cpu: this.o.cpuOnly });
    } catch {
      return undefined;
    }
    const free = this.o.freeMemory?.() ?? freemem();
    return planRunMemory(run, { devices, free }, await dataStreaming(run.config.data));
  }
}
