/**
 * Loads the native BLAS addon (native/blas, built by scripts/build-native.mjs) and opens OpenBLAS
 * through it, for the wasm project kernels' matmuls and convolutions; the addon's vector add (no
 * OpenBLAS needed) is the ring collectives' reduction add. Never throws: when anything is
 * missing the result says why and what fixes it, and training uses the wasm kernels. A run's
 * `nativeBlas: false` (DTRAIN_NATIVE_BLAS=0 for a new run) turns it off.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NativeGemm, NativeLayerNorm, NativeRecurrence } from '../core/tfjs/kernels/native-gemm';
import { addInto as jsAddInto } from '../core/collectives/chunking';
import type { AddInto, ReduceArray } from '../core/collectives/types';

/** Sonames tried in order: Debian's libopenblas0-pthread/-openmp/-serial all provide the first. */
export const OPENBLAS_LIBRARIES = ['libopenblas.so.0', 'libopenblas.so', 'libopenblas.dylib'];
export const ADDON_FILE = join('native', 'blas', 'build', 'dtrain_blas.node');
export const FIX_OPENBLAS = 'apt-get install libopenblas0-pthread';
export const FIX_ADDON = 'node scripts/build-native.mjs';

/** `add`: the addon's dst += src for the collectives, whenever the addon loads (with or without OpenBLAS). */
export type NativeBlasStatus =
  | { available: true; native: NativeGemm; add: AddInto | null; addonPath: string; library: string; openblas: string }
  | {
      available: false;
      native: null;
      add: AddInto | null;
      addonPath: string;
      addonBuilt: boolean;
      disabled: boolean;
      reason: string;
      fix: string | null;
    };

interface Addon extends NativeGemm, Partial<NativeRecurrence>, Partial<NativeLayerNorm> {
  softmaxGrad?: NativeGemm['softmaxGrad'];
  softmax?: NativeGemm['softmax'];
  sgemmHeads?: NativeGemm['sgemmHeads'];
  open(path: string): { config: string; corename: string };
  addInto(dst: ReduceArray, src: ReduceArray): void;
}

/**
 * The addon's add, except for arrays overlapping in part (which it refuses: its blocks read before
 * they write): those take the JS loop, whose element-by-element order defines the result.
 */
export function nativeAdd(addon: Pick<Addon, 'addInto'>): AddInto {
  return (dst, src) => {
    const a = dst.byteOffset,
      b = src.byteOffset;
    const partial = dst.buffer === src.buffer && a !== b && a < b + src.byteLength && b < a + dst.byteLength;
    if (partial) jsAddInto(dst, src);
    else addon.addInto(dst, src);
  };
}

export interface LoadOptions {
  /** false: off without touching the addon (the run's nativeBlas; default true). */
  enabled?: boolean;
  /** The dtrain package directory (default: found upwards from this module, as bundled or not). */
  root?: string;
  /** The addon file (default `<root>/native/blas/build/dtrain_blas.node`). */
  addonPath?: string;
  /** OpenBLAS names or paths to try (default OPENBLAS_LIBRARIES). */
  libraries?: readonly string[];
}

/** The dtrain package directory: the nearest package.json named dtrain above `from`. */
export function packageRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    try {
      if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'dtrain') return dir;
    } catch {
      // unreadable package.json: keep looking upwards
    }
    if (dirname(dir) === dir) return process.cwd();
  }
}

const firstLine = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split('\n')[0]!;

/**
 * The kernels an addon may lack: one built before them (an older build in place) leaves those
 * kernels on their fallbacks (per-step tfjs ops for the recurrent layers, the JavaScript loops).
 */
function withOptionalKernels(addon: Addon, native: NativeGemm): NativeGemm {
  if (typeof addon.rnnScan === 'function' && typeof addon.rnnScanBackward === 'function')
    native.recurrence = { rnnScan: addon.rnnScan, rnnScanBackward: addon.rnnScanBackward };
  if (typeof addon.layerNorm === 'function' && typeof addon.layerNormGrad === 'function')
    native.norm = { layerNorm: addon.layerNorm, layerNormGrad: addon.layerNormGrad };
  if (typeof addon.softmaxGrad === 'function') native.softmaxGrad = addon.softmaxGrad;
  if (typeof addon.softmax === 'function') native.softmax = addon.softmax;
  if (typeof addon.sgemmHeads === 'function') native.sgemmHeads = addon.sgemmHeads;
  return native;
}

export function loadNativeBlas(options: LoadOptions = {}): NativeBlasStatus {
  const addonPath = options.addonPath ?? join(options.root ?? packageRoot(), ADDON_FILE);
  const addonBuilt = existsSync(addonPath);
  let add: AddInto | null = null;
  const off = (reason: string, fix: string | null, disabled = false): NativeBlasStatus => ({
    available: false,
    native: null,
    add,
    addonPath,
    addonBuilt,
    disabled,
    reason,
    fix,
  });
  if (options.enabled === false) return off('turned off (nativeBlas false: DTRAIN_NATIVE_BLAS=0 or the run config)', null, true);
  if (!addonBuilt) return off(`the addon is not built (${addonPath} missing)`, FIX_ADDON);
  let addon: Addon;
  try {
    addon = createRequire(import.meta.url)(addonPath) as Addon;
  } catch (e) {
    return off(`the addon ${addonPath} does not load: ${firstLine(e)}`, FIX_ADDON);
  }
  // An addon built before the add existed has no addInto: the ring then keeps the JS loop.
  if (typeof addon.addInto === 'function') add = nativeAdd(addon);
  const failures: string[] = [];
  for (const library of options.libraries ?? OPENBLAS_LIBRARIES) {
    try {
      const { config } = addon.open(library);
      const native = withOptionalKernels(addon, { sgemm: addon.sgemm, im2col: addon.im2col, col2im: addon.col2im });
      return { available: true, native, add, addonPath, library, openblas: config };
    } catch (e) {
      failures.push(firstLine(e));
    }
  }
  return off(`OpenBLAS not found (${failures.join('; ')})`, FIX_OPENBLAS);
}

const cached = new Map<boolean, NativeBlasStatus>();

/** The process's native BLAS, loaded once, or why not (`enabled` false: the run's nativeBlas turned it off). */
export function nativeBlas(enabled: boolean): NativeBlasStatus {
  let status = cached.get(enabled);
  if (!status) cached.set(enabled, (status = loadNativeBlas({ enabled })));
  return status;
}

/** One line for the worker's backend notes. */
export function nativeBlasNote(status: NativeBlasStatus, backend: string): string {
  if (backend !== 'wasm') return `native BLAS: not used (the ${backend} backend has its own kernels)`;
  if (status.available) return `native BLAS: on (${status.openblas}, one thread)`;
  return `native BLAS: off: ${status.reason}${status.fix ? ` (fix: ${status.fix})` : ''}`;
}
