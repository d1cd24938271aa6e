// Benchmark entry (`npm run bench [-- section ...]`). Sections register here;
// with no arguments every section runs, `--list` prints their names.
import type { BenchSection } from './section';
import { adadeltaKernelSection } from './adadelta-kernel';
import { triadSection } from './triad';
import { meshTrainingSection } from './mesh-training';
import { collectivesSection } from './collectives';
import { commThreadSection } from './comm-thread';
import { checkpointSection } from './checkpoint';
import { trainingBench } from './training';
import { vsTorchSection } from './vs-torch';
import { sweepSection } from './sweep';
import { largeCheckpointSection } from './large-checkpoint';
import { scaleSection } from './scale';
import { modelsSection } from './models';

const sections: BenchSection[] = [
  adadeltaKernelSection,
  triadSection,
  { description: 'model step samples/s on wasm, with and without the project kernels', ...trainingBench },
  meshTrainingSection,
  collectivesSection,
  commThreadSection,
  checkpointSection,
  vsTorchSection,
  sweepSection,
  largeCheckpointSection,
  scaleSection,
  modelsSection,
];

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--list')) {
    for (const s of sections) console.log(`${s.name.padEnd(20)} ${s.description}`);
    return 0;
  }
  const unknown = argv.filter((a) => !sections.some((s) => s.name === a));
  if (unknown.length > 0) {
    console.error(`unknown bench section(s): ${unknown.join(', ')}; known: ${sections.map((s) => s.name).join(', ')}`);
    return 1;
  }
  const chosen = argv.length === 0 ? sections : sections.filter((s) => argv.includes(s.name));
  for (const s of chosen) {
    console.log(`\n=== ${s.name}: ${s.description}`);
    const t0 = performance.now();
    await s.run();
    console.log(`=== ${s.name} done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
