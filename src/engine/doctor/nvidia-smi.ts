/** Asks nvidia-smi (found on PATH) which GPUs the NVIDIA driver sees, with driver version and memory. */
import { execFile } from 'node:child_process';
import type { GpuInfo, GpuProbe } from '../../shared/doctor';

const QUERY = ['--query-gpu=index,name,driver_version,memory.total,memory.used', '--format=csv,noheader,nounits'];

export async function probeGpus(env: NodeJS.ProcessEnv = process.env, timeoutMs = 10_000): Promise<GpuProbe> {
  const result = await new Promise<{ code: string | number | null; stdout: string; stderr: string }>((resolve) => {
    execFile('nvidia-smi', QUERY, { env, timeout: timeoutMs }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as NodeJS.ErrnoException).code ?? 'failed') : null, stdout, stderr }),
    );
  });
  if (result.code === 'ENOENT') return { status: 'no-nvidia-smi', gpus: [], error: null };
  if (result.code !== null) {
    // nvidia-smi prints its reason (e.g. "couldn't communicate with the NVIDIA driver") on stdout.
    const text = `${result.stdout}\n${result.stderr}`
      .split('\n')
      .map((l) => l.trim())
      .find(Boolean);
    return { status: 'failed', gpus: [], error: text ?? `nvidia-smi exited with ${result.code}` };
  }
  const gpus = parseGpuCsv(result.stdout);
  return { status: gpus.length > 0 ? 'found' : 'none', gpus, error: null };
}

/** Rows of `index, name, driver, memory.total, memory.used` (MiB); a name may itself contain commas. */
export function parseGpuCsv(text: string): GpuInfo[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .flatMap((line) => {
      const f = line.split(',').map((s) => s.trim());
      if (f.length < 5 || !/^\d+$/.test(f[0]!)) return [];
      const mib = (s: string) => (/^\d+(\.\d+)?$/.test(s) ? Number(s) : null); // "[N/A]" on some boards
      return [
        {
          index: Number(f[0]),
          name: f.slice(1, -3).join(', '),
          driver: f.at(-3)!,
          memoryTotalMiB: mib(f.at(-2)!),
          memoryUsedMiB: mib(f.at(-1)!),
        },
      ];
    });
}
