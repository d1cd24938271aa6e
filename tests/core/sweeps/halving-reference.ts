// The successive-halving rule written out again, independently of src/core/sweeps/halving.ts.

/** The rule, restated: with n values at the rung (this one last), keep iff fewer than ceil(n/eta) earlier ones are strictly better. */
export function independentKeep(value: number, earlier: number[], eta: number, mode: 'min' | 'max'): boolean {
  const better = earlier.filter((u) => (mode === 'min' ? u < value : u > value)).length;
  return better < Math.ceil((earlier.length + 1) / eta);
}
