/**
 * What core keeps between calls, in one object its owner passes down instead of module-level state:
 * the wasm heap the fused kernels and host-storage variables share (and the kernels compiled against
 * it), and the meter of host copies. A device worker makes one for its trainer (docs/architecture.md,
 * "The compute context"); the public library, called without one, uses `defaultContext`.
 */
import { CopyMeter } from './metering/copy-meter';
import { HostHeap, type HostHeapOptions } from './wasm/heap';

export class ComputeContext {
  /** Host storage the fused kernels update in place: variables, optimizer slots, exchange buffers. */
  readonly heap: HostHeap;
  /** Host bytes copied, by kind (the step profile reads it). */
  readonly copies: CopyMeter;

  constructor(options: HostHeapOptions = {}) {
    this.heap = new HostHeap(options);
    this.copies = new CopyMeter();
  }
}

/** The context of everything called without one. */
export const defaultContext = new ComputeContext();
