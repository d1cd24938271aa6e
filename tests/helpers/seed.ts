/**
 * Seeds for randomised tests: $DTRAIN_TEST_SEED when set (to repeat a failure), else a fresh one;
 * printed before the test uses it, so a failing run always says how to reproduce it.
 */
export function testSeed(label: string, env: NodeJS.ProcessEnv = process.env): number {
  const fromEnv = env.DTRAIN_TEST_SEED;
  const seed = fromEnv !== undefined && fromEnv !== '' ? Number(fromEnv) : Math.floor(Math.random() * 2 ** 31);
  if (!Number.isSafeInteger(seed)) throw new Error(`DTRAIN_TEST_SEED must be an integer, got '${fromEnv}'`);
  process.stdout.write(`${label}: seed ${seed} (repeat with DTRAIN_TEST_SEED=${seed})\n`);
  return seed;
}

/** A small deterministic generator of floats in [0, 1) (mulberry32). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
