// The compute path a benchmark's workers take: what a new run here would record (the environment's
// DTRAIN_BACKEND, DTRAIN_NATIVE_BLAS, DTRAIN_COMM_THREAD, DTRAIN_VARIABLE_STORAGE, else auto; read once),
// with a section's own choices on top.
import type { ComputeChoices } from '../src/shared/api';
import { AUTO_COMPUTE, readSettings } from '../src/shared/settings';

const fromEnv = readSettings(process.env).compute;

export function benchCompute(overrides: Partial<ComputeChoices> = {}): ComputeChoices {
  return { ...AUTO_COMPUTE, ...fromEnv, ...overrides };
}
