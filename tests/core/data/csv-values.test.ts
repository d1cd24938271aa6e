import { test } from 'node:test';
import assert from 'node:assert/strict';
import { looksLikeHeader, parseNumberCell } from '../../../src/core/data/csv-values';
import { Rng } from '../../../src/core/random/stream';

test('parseNumberCell accepts plain decimals only', () => {
  const ok: [string, number][] = [
    ['0', 0],
    ['-0', -0],
    ['+3', 3],
    ['1.', 1],
    ['.5', 0.5],
    ['-.5', -0.5],
    ['1e3', 1000],
    ['1E-3', 0.001],
    ['2.5e+2', 250],
    [' 7 ', 7],
    ['007', 7],
    ['1e999', Infinity],
    ['-1e999', -Infinity],
    ['1e-999', 0],
  ];
  for (const [s, v] of ok) assert.ok(Object.is(parseNumberCell(s), v), s);
  for (const s of [
    '',
    ' ',
    '.',
    '+',
    '-',
    'e5',
    '1e',
    '1e+',
    '1.2.3',
    '0x10',
    '0b1',
    '1_0',
    'NaN',
    'Infinity',
    '1,5',
    '5px',
    '--1',
    '1 2',
  ]) {
    assert.ok(Number.isNaN(parseNumberCell(s)), JSON.stringify(s));
  }
});

test('parseNumberCell is bit-identical to Number() on random decimals', () => {
  const rng = new Rng(77);
  const digits = (k: number): string => Array.from({ length: k }, () => rng.nextInt(10)).join('');
  for (let t = 0; t < 50000; t++) {
    const intPart = digits(rng.nextInt(20));
    const frac = rng.nextInt(3) === 0 ? '' : '.' + digits(rng.nextInt(20));
    const exp = rng.nextInt(3) === 0 ? `e${['', '+', '-'][rng.nextInt(3)]}${rng.nextInt(400)}` : '';
    const sign = ['', '-', '+'][rng.nextInt(3)];
    const s = sign + (intPart === '' && (frac === '' || frac === '.') ? '1' : intPart) + frac + exp;
    assert.ok(Object.is(parseNumberCell(s), Number(s)), s);
  }
});

test('header detection', () => {
  assert.equal(looksLikeHeader(['a', 'b', 'label'], ['1', '2', 'x']), true);
  assert.equal(looksLikeHeader(['1', '2', 'x'], ['3', '4', 'y']), false);
  assert.equal(looksLikeHeader(['a', 'b'], undefined), true);
  assert.equal(looksLikeHeader(['1', 'b'], undefined), false);
});
