/** The native BLAS for tests: the loaded addon, or why it is not here (tests then skip with that reason). */
import { loadNativeBlas } from '../../src/workers/native-blas';
import type { NativeGemm } from '../../src/core/tfjs';

export function nativeForTests(): { native: NativeGemm; skip: false } | { native: null; skip: string } {
  // Loaded whatever a run would choose (nativeBlas false must not skip these): they test the addon itself.
  const s = loadNativeBlas();
  if (s.available) return { native: s.native, skip: false };
  const skip = `native BLAS unavailable: ${s.reason}${s.fix ? ` (fix: ${s.fix})` : ''}`;
  process.stdout.write(`${skip}\n`);
  return { native: null, skip };
}
