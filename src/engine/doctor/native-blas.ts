/**
 * The native BLAS addon the wasm workers use for matmul and convolution: built? does it open OpenBLAS?
 * Asks the workers' own loader, so the doctor reports exactly what a worker would get.
 */
import type { NativeBlasProbe } from '../../shared/doctor';
import { loadNativeBlas } from '../../workers/native-blas';

/** `enabled` false: a new run's nativeBlas is off (DTRAIN_NATIVE_BLAS=0), and the addon is not touched. */
export function probeNativeBlas(root: string, enabled: boolean): NativeBlasProbe {
  const s = loadNativeBlas({ root, enabled });
  if (s.available) return { addonPath: s.addonPath, addonBuilt: true, openblas: s.openblas, disabled: false, error: null };
  return { addonPath: s.addonPath, addonBuilt: s.addonBuilt, openblas: null, disabled: s.disabled, error: s.reason };
}
