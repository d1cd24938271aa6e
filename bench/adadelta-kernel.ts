// Fused Adadelta kernel benchmark (single thread, 10M float32): WASM SIMD and JS
// fround paths vs tfjs-wasm's own Adadelta and the memory-bandwidth bound.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { FusedAdadelta } from '../src/core/optimizers/kernels/adadelta-fused';
import { plainHostBuffer, type HostBuffer } from '../src/core/wasm/heap';
import { ComputeContext } from '../src/core/context';
import type { BenchSection } from './section';
import { measureTriad, printTriad } from './triad';
import { mib, si, timeMedian } from './timing';

const N = 10_000_000;
const STABILITY_N = 1_000_000;
const STABILITY_STEPS = 1000;
/** Adadelta reads v, Eg, Ed, g and writes v, Eg, Ed: 7 float32 per element. */
const BYTES_PER_ELEMENT = 28;
const HP = { lr: 1e-3, rho: 0.95, epsilon: 1e-7 };
/** The bench's own heap and copy meter, and the kernels on them. */
const context = new ComputeContext();
const kernels = new FusedAdadelta(context.copies);
const adadeltaDense = kernels.dense.bind(kernels);
const adadeltaSparse = kernels.sparse.bind(kernels);

interface State {
  v: HostBuffer;
  eg: HostBuffer;
  ed: HostBuffer;
  g: HostBuffer;
}

function makeState(n: number, heap: boolean): State {
  const mk = (): HostBuffer => (heap ? context.heap.allocHost('float32', n) : plainHostBuffer(new Float32Array(n)));
  const s = { v: mk(), eg: mk(), ed: mk(), g: mk() };
  if (heap && !s.v.inWasmHeap) throw new Error('wasm SIMD heap unavailable: cannot bench the fused kernel');
  const v = s.v.array();
  const g = s.g.array();
  for (let i = 0; i < n; i++) {
    v[i] = 1 + (i % 97) / 97;
    g[i] = ((i % 13) - 6) / 10;
  }
  return s;
}

function freeState(s: State): void {
  for (const b of [s.v, s.eg, s.ed, s.g]) b.free();
}

/** Elements/s of the fused kernel on heap (wasm) or plain (JS fround) storage. */
async function fusedRate(heap: boolean, reps: number): Promise<number> {
  const s = makeState(N, heap);
  const ms = await timeMedian(() => adadeltaDense(s.v, s.eg, s.ed, s.g, HP), reps, 2);
  freeState(s);
  return N / (ms / 1e3);
}

/** Elements/s of the float64 JS loop (float64 variables). */
async function float64Rate(reps: number): Promise<number> {
  const mk = () => plainHostBuffer(new Float64Array(N));
  const [v, eg, ed] = [mk(), mk(), mk()];
  const g = new Float64Array(N).map((_, i) => ((i % 13) - 6) / 10);
  const ms = await timeMedian(() => adadeltaDense(v, eg, ed, g, HP), reps, 2);
  return N / (ms / 1e3);
}

/** Elements/s of the float32 sparse JS loop: rows of 64, a gradient on every 4th row, all rows decayed. */
async function sparseRate(reps: number): Promise<number> {
  const rowSize = 64;
  const s = makeState(N, true);
  const rows = Int32Array.from({ length: N / rowSize / 4 }, (_, k) => 4 * k);
  const values = new Float32Array(rows.length * rowSize).map((_, i) => ((i % 13) - 6) / 10);
  const ms = await timeMedian(() => adadeltaSparse(s.v, s.eg, s.ed, rows, values, rowSize, HP), reps, 2);
  freeState(s);
  return N / (ms / 1e3);
}

/** Elements/s of tf.train.adadelta on the tfjs wasm backend, 10M-element variable. */
async function tfjsWasmRate(reps: number): Promise<{ rate: number; leaked: number }> {
  const tf = await import('@tensorflow/tfjs-core');
  await import('@tensorflow/tfjs-backend-wasm');
  if (!(await tf.setBackend('wasm'))) throw new Error('tfjs wasm backend failed to initialise');
  await tf.ready();
  const x = tf.variable(tf.fill([N], 1.5), true, 'bench_adadelta_x');
  const grad = tf.fill([N], 0.1);
  const opt = tf.train.adadelta(HP.lr, HP.rho, HP.epsilon);
  const step = () => opt.applyGradients([{ name: x.name, tensor: grad }]);
  step(); // creates the accumulators
  const before = tf.memory().numTensors;
  // The wasm backend runs synchronously, so each call's time includes the work.
  const ms = await timeMedian(step, reps, 1);
  const leaked = tf.memory().numTensors - before;
  opt.dispose();
  x.dispose();
  grad.dispose();
  return { rate: N / (ms / 1e3), leaked };
}

function verdict(ratio: number, target: number): string {
  return `${ratio.toFixed(2)}x (target >= ${target}x) ${ratio >= target ? 'PASS' : 'MISS'}`;
}

function memLine(label: string, m: NodeJS.MemoryUsage): string {
  return `${label.padEnd(7)} rss ${mib(m.rss)}, heapUsed ${mib(m.heapUsed)}, arrayBuffers ${mib(m.arrayBuffers)}`;
}

/** A full-GC function without --expose-gc on the command line (npm run bench has none). */
function exposeGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** 1,000 fused steps on 1M elements: memory before/after must not grow. */
async function heapStability(): Promise<void> {
  const gc = exposeGc();
  const s = makeState(STABILITY_N, true);
  const plainG = new Float32Array(STABILITY_N).fill(0.25); // exercises the scratch copy too
  adadeltaDense(s.v, s.eg, s.ed, plainG, HP);
  gc();
  const before = process.memoryUsage();
  const heapBefore = context.heap.stats()!.committedBytes;
  const t0 = performance.now();
  for (let i = 0; i < STABILITY_STEPS; i++) adadeltaDense(s.v, s.eg, s.ed, i % 2 ? s.g : plainG, HP);
  const secs = (performance.now() - t0) / 1e3;
  gc();
  const after = process.memoryUsage();
  console.log(
    `heap stability: ${STABILITY_STEPS} fused steps x ${si(STABILITY_N)}elements in ${secs.toFixed(2)} s ` +
      '(full GC before each reading)',
  );
  console.log('  ' + memLine('before', before));
  console.log('  ' + memLine('after', after));
  console.log(
    `  delta   rss ${mib(after.rss - before.rss)}, heapUsed ${mib(after.heapUsed - before.heapUsed)}, ` +
      `arrayBuffers ${mib(after.arrayBuffers - before.arrayBuffers)}, wasm heap ${mib(context.heap.stats()!.committedBytes - heapBefore)}`,
  );
  freeState(s);
}

export const adadeltaKernelSection: BenchSection = {
  name: 'adadelta-kernel',
  description: 'fused Adadelta kernel vs tfjs-wasm and the memory bound, 10M float32, single thread',
  async run() {
    const triad = await measureTriad(N);
    printTriad(triad);
    const bound = triad.best / BYTES_PER_ELEMENT;
    console.log(`Adadelta memory bound ${si(bound)}elem/s (triad best / ${BYTES_PER_ELEMENT} B/elem)`);

    const fused = await fusedRate(true, 15);
    console.log(`fused WASM SIMD (in place)  ${si(fused)}elem/s  (${si(fused * BYTES_PER_ELEMENT)}B/s)`);
    const js = await fusedRate(false, 5);
    console.log(`fused JS fround             ${si(js)}elem/s`);
    const f64 = await float64Rate(5);
    console.log(`JS float64 dense           ${si(f64)}elem/s`);
    const sparse = await sparseRate(5);
    console.log(`JS fround sparse (1/4 rows) ${si(sparse)}elem/s (every row decays)`);
    const tfjs = await tfjsWasmRate(7);
    console.log(`tfjs-wasm tf.train.adadelta ${si(tfjs.rate)}elem/s  (tensors leaked per run: ${tfjs.leaked})`);

    console.log(`fused / tfjs-wasm: ${verdict(fused / tfjs.rate, 3)}`);
    console.log(`fused / bound:     ${verdict(fused / bound, 0.5)}`);
    // STREAM counts 12 B/elem for the triad, but its separate output array also costs a
    // write-allocate read; the in-place kernel writes lines it already read, so it can exceed 1x.
    console.log(`JS fround / tfjs-wasm: ${(js / tfjs.rate).toFixed(2)}x`);
    console.log(`JS float64 / tfjs-wasm: ${(f64 / tfjs.rate).toFixed(2)}x`);
    console.log(`JS fround sparse / tfjs-wasm: ${(sparse / tfjs.rate).toFixed(2)}x`);
    await heapStability();
  },
};
