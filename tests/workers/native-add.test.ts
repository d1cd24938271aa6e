// The native addon's vector add (the ring collectives' reduction add) against the JS loop it replaces,
// bit for bit (NaN payloads too), and against an independent reference: a float32 sum computed in
// float64 and rounded once is the correctly rounded float32 sum. Plus its argument checks.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { loadNativeBlas } from '../../src/workers/native-blas';
import { addInto as jsAddInto } from '../../src/core/collectives/chunking';
import type { ReduceArray } from '../../src/core/collectives/types';
import { seededRandom, testSeed } from '../helpers/seed';

const status = loadNativeBlas(); // loaded here whatever a run would choose: these test the addon itself
const add = status.add;
const skip = add
  ? false
  : `native add unavailable: ${status.available ? 'the addon has no addInto' : status.reason} (fix: node scripts/build-native.mjs)`;
if (skip) process.stdout.write(`${skip}\n`);

type Ctor = Float32ArrayConstructor | Float64ArrayConstructor;

/** Values that stress the add: NaNs (quiet, signalling, both signs, varied payloads), ±Inf, subnormals, ±0, ordinary. */
function special(C: Ctor, rand: () => number): number | bigint {
  const f32 = C === Float32Array;
  const bits = (hi: number, lo: number) => (f32 ? hi : (BigInt(hi) << 32n) | BigInt(lo));
  const payload = Math.floor(rand() * 0x3fffff) + 1;
  switch (Math.floor(rand() * 9)) {
    case 0:
      return f32 ? (0x7fc00000 | payload) >>> 0 : bits(0x7ff80000 | (payload & 0x7ffff), payload); // quiet NaN
    case 1:
      return f32 ? (0xff800000 | payload) >>> 0 : bits(0xfff00000 | (payload & 0x7ffff), payload | 1); // signalling NaN
    case 2:
      return f32 ? 0x7f800000 : bits(0x7ff00000, 0); // +Inf
    case 3:
      return f32 ? 0xff800000 : bits(0xfff00000, 0); // -Inf
    case 4:
      return f32 ? payload : bits(0, payload); // positive subnormal
    case 5:
      return f32 ? (0x80000000 | payload) >>> 0 : bits(0x80000000, payload); // negative subnormal
    case 6:
      return f32 ? 0x80000000 : bits(0x80000000, 0); // -0
    default:
      return -1; // an ordinary number (set below)
  }
}

function randomArray(C: Ctor, n: number, rand: () => number): ReduceArray {
  const a = new C(n);
  const ints = C === Float32Array ? new Uint32Array(a.buffer) : new BigUint64Array(a.buffer);
  for (let i = 0; i < n; i++) {
    const s = rand() < 0.3 ? special(C, rand) : -1;
    if (s === -1) a[i] = (rand() - 0.5) * 2 ** Math.floor(rand() * 60 - 30);
    else ints[i] = s as never;
  }
  return a;
}

const bitsOf = (a: ReduceArray) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe('native addInto', { skip }, () => {
  test('equals the JS loop bit for bit and the correctly rounded sum: f32/f64, odd lengths, subarray offsets, NaN/Inf/subnormal/-0', () => {
    const rand = seededRandom(testSeed('native addInto vs JS loop'));
    for (const C of [Float32Array, Float64Array] as const) {
      for (const n of [1, 2, 15, 16, 17, 31, 33, 100, 1001, 65_537]) {
        for (const [offD, offS] of [
          [0, 0],
          [1, 3],
          [5, 0],
          [0, 7],
        ]) {
          const dBuf = randomArray(C, n + offD + 4, rand);
          const sBuf = randomArray(C, n + offS, rand);
          const d = dBuf.subarray(offD, offD + n);
          const s = sBuf.subarray(offS, offS + n);
          const before = dBuf.slice();
          const viaJs = d.slice();
          jsAddInto(viaJs, s);
          add!(d, s);
          const what = `${C.name} n=${n} offsets ${offD}/${offS}`;
          assert.ok(bitsOf(d).equals(bitsOf(viaJs)), `${what}: differs from the JS loop`);
          for (let i = 0; i < n; i++) {
            const want = C === Float32Array ? Math.fround(before[offD + i]! + s[i]!) : before[offD + i]! + s[i]!;
            if (Number.isNaN(want)) assert.ok(Number.isNaN(d[i]), `${what} [${i}]: ${d[i]} should be NaN`);
            else assert.ok(Object.is(d[i], want), `${what} [${i}]: ${d[i]} vs ${want}`);
          }
          // Nothing outside the view was written (the padding at both ends of dBuf is unchanged).
          assert.ok(bitsOf(dBuf.subarray(0, offD)).equals(bitsOf(before.subarray(0, offD))), `${what}: wrote before dst`);
          assert.ok(bitsOf(dBuf.subarray(offD + n)).equals(bitsOf(before.subarray(offD + n))), `${what}: wrote after dst`);
        }
      }
    }
  });

  test("the same array as dst and src doubles it; arrays overlapping in part get the JS loop's element-by-element result", () => {
    const a = Float32Array.from({ length: 37 }, (_, i) => i - 3.25);
    add!(a, a);
    assert.deepEqual(
      Array.from(a),
      Array.from({ length: 37 }, (_, i) => 2 * (i - 3.25)),
    );
    for (const shift of [1, -1, 5, -16]) {
      const buf = Float32Array.from({ length: 60 }, (_, i) => ((i * 7) % 11) - 5);
      const ref = buf.slice();
      const view = (x: Float32Array) => [x.subarray(20, 40), x.subarray(20 + shift, 40 + shift)] as const;
      add!(...view(buf));
      // Element by element, reading the source after earlier elements were updated (cascades for shift < 0).
      const [rd, rs] = view(ref);
      for (let i = 0; i < 20; i++) rd[i] = Math.fround(rd[i]! + rs[i]!);
      assert.deepEqual(Array.from(buf), Array.from(ref), `shift ${shift}`);
    }
  });

  test('wrong lengths, mixed or non-float types, wrong counts and partial overlap throw and write nothing', () => {
    const raw = rawAddon();
    const d = new Float32Array(8).fill(1);
    const untouched = () => assert.deepEqual(Array.from(d), new Array(8).fill(1));
    assert.throws(() => raw.addInto(d, new Float32Array(7)), /^RangeError: addInto: dst has 8 elements, src has 7$/);
    assert.throws(() => raw.addInto(d.subarray(1), new Float32Array(8)), /addInto: dst has 7 elements, src has 8/);
    assert.throws(() => raw.addInto(d, new Float64Array(8)), /^TypeError: addInto: dst and src must have the same element type$/);
    assert.throws(() => raw.addInto(d, new Int32Array(8)), /^TypeError: addInto: src must be a Float32Array or Float64Array$/);
    assert.throws(() => raw.addInto([1, 2], d), /^TypeError: addInto: dst must be a Float32Array or Float64Array$/);
    assert.throws(() => raw.addInto(d), /^TypeError: addInto: expected 2 arguments, got 1$/);
    assert.throws(() => raw.addInto(d.subarray(0, 4), d.subarray(2, 6)), /^RangeError: addInto: dst and src overlap partially$/);
    untouched();
    raw.addInto(new Float32Array(0), new Float32Array(0)); // empty: nothing to do, no error
    untouched();
  });
});

/** The raw addon, to see its own checks (nativeAdd routes partial overlaps around them). */
function rawAddon(): { addInto: (...args: unknown[]) => void } {
  return createRequire(import.meta.url)(status.addonPath) as { addInto: (...args: unknown[]) => void };
}
