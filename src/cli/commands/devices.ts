import type { Command } from '../command';
import { dbOption, parse } from '../command';
import { withService } from '../context';

export const devicesCommand: Command = {
  name: 'devices',
  summary: 'list the devices a run can use',
  help: 'Usage: dtrain devices [--cpu]\n\nGPUs found by nvidia-smi, else one CPU worker per core.',
  async run(argv) {
    const { values } = parse(argv, { cpu: { type: 'boolean' }, ...dbOption }, 'devices');
    return withService(values.db, { cpuOnly: values.cpu, quiet: true }, async (service) => {
      for (const d of await service.listDevices())
        process.stdout.write(
          `${d.deviceId}  ${d.label}${d.memoryBytes ? `  ${(d.memoryBytes / 2 ** 30).toFixed(1)} GiB` : ''}\n`,
        );
      return 0;
    });
  },
};
