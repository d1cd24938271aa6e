// Small timing helpers shared by the benchmark sections.

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Median wall time in ms of `reps` calls of `fn`, after `warmup` untimed calls. */
export async function timeMedian(fn: () => unknown, reps: number, warmup = 1): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return median(times);
}

/**
 * The PyTorch peer's statistic (torch_peer.py best_rate), for rows compared with it: `rounds` rounds
 * of `steps` timed calls after `warmup` untimed ones; the best round's mean ms per call.
 */
export async function bestRoundMs(fn: () => unknown, warmup: number, steps: number, rounds: number): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn();
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) await fn();
    best = Math.min(best, (performance.now() - t0) / steps);
  }
  return best;
}

/**
 * bestRoundMs's statistic for wall time and for the process's CPU time (every thread: V8's
 * collector included), each the best round's mean ms per call. CPU time moves less with the load of
 * a shared machine than wall time does.
 */
export async function bestRoundWallAndCpuMs(
  fn: () => unknown,
  warmup: number,
  steps: number,
  rounds: number,
): Promise<{ wallMs: number; cpuMs: number }> {
  for (let i = 0; i < warmup; i++) await fn();
  let wallMs = Infinity;
  let cpuMs = Infinity;
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    for (let i = 0; i < steps; i++) await fn();
    const c = process.cpuUsage(c0);
    wallMs = Math.min(wallMs, (performance.now() - t0) / steps);
    cpuMs = Math.min(cpuMs, (c.user + c.system) / 1000 / steps);
  }
  return { wallMs, cpuMs };
}

/** 1234567890 → "1.23 G". */
export function si(x: number): string {
  const units: [number, string][] = [
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'k'],
  ];
  for (const [f, u] of units) if (Math.abs(x) >= f) return `${(x / f).toFixed(2)} ${u}`;
  return x.toFixed(2) + ' ';
}

export function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}
