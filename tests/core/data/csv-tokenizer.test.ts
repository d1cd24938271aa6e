import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CsvTokenizer, tokenizeCsv } from '../../../src/core/data/csv-tokenizer';

const cells = (text: string, delimiter = ','): string[][] => tokenizeCsv(text, delimiter).map((r) => r.cells);

test('plain rows, trailing newline optional', () => {
  assert.deepEqual(cells('a,b\n1,2\n'), [
    ['a', 'b'],
    ['1', '2'],
  ]);
  assert.deepEqual(cells('a,b\n1,2'), [
    ['a', 'b'],
    ['1', '2'],
  ]);
});

test('quoted fields hold delimiters, doubled quotes and newlines', () => {
  const text = 'name,note\n"Smith, J.","said ""hi"""\n"multi\nline",x\n';
  assert.deepEqual(cells(text), [
    ['name', 'note'],
    ['Smith, J.', 'said "hi"'],
    ['multi\nline', 'x'],
  ]);
});

test('empty fields, empty quoted fields and a trailing delimiter', () => {
  assert.deepEqual(cells('a,,c\n"",x,\n'), [
    ['a', '', 'c'],
    ['', 'x', ''],
  ]);
  assert.deepEqual(cells('""""'), [['"']]);
});

test('CRLF, lone CR, BOM and blank lines', () => {
  assert.deepEqual(cells('\uFEFFa,b\r\n1,2\r\n\r\n3,4\r5,6\r\n'), [
    ['a', 'b'],
    ['1', '2'],
    ['3', '4'],
    ['5', '6'],
  ]);
  assert.deepEqual(cells('\n\n  \na\n\n'), [['a']]);
  assert.deepEqual(cells('"x\r\ny",1\r\n'), [['x\r\ny', '1']]);
});

test('line numbers count physical lines, including newlines inside quotes and skipped blank lines', () => {
  const rows = tokenizeCsv('h1,h2\n\n"a\nb",1\r\n"c\r\nd\re",2\n3,4');
  assert.deepEqual(
    rows.map((r) => r.line),
    [1, 3, 5, 8],
  );
});

test('other delimiters', () => {
  assert.deepEqual(cells('a\tb\n"x\ty"\t2\n', '\t'), [
    ['a', 'b'],
    ['x\ty', '2'],
  ]);
  assert.deepEqual(cells('a;b\n1,5;2\n', ';'), [
    ['a', 'b'],
    ['1,5', '2'],
  ]);
});

test('unterminated quote and junk after a closing quote are errors naming the line', () => {
  assert.throws(() => tokenizeCsv('a,b\n1,"open\n\n'), { message: 'line 2: unterminated quoted field (missing closing quote)' });
  assert.throws(() => tokenizeCsv('a,b\n"x"y,2\n'), /^DatasetError: line 2: unexpected character "y" after a closing quote/);
});

test('bad delimiters are refused', () => {
  assert.throws(() => tokenizeCsv('a', '"'), /delimiter must be one character/);
  assert.throws(() => tokenizeCsv('a', ',,'), /delimiter must be one character/);
});

test('any split into chunks gives the same records and lines as the whole text', () => {
  const text = '\uFEFFa,"b ""q"""\r\n"x,\r\ny",2\r\n\r\n3,""\r4,"5"\n';
  const whole = tokenizeCsv(text);
  for (let i = 0; i <= text.length; i++) {
    for (let j = i; j <= text.length; j += 3) {
      const out: { cells: string[]; line: number }[] = [];
      const t = new CsvTokenizer(',', (c, line) => out.push({ cells: c, line }));
      t.push(text.slice(0, i));
      t.push(text.slice(i, j));
      t.push(text.slice(j));
      t.end();
      assert.deepEqual(out, whole, `split at ${i}, ${j}`);
    }
  }
});

test('character-by-character pushes work too', () => {
  const text = 'a,b\n"1\n2",3\n';
  const out: string[][] = [];
  const t = new CsvTokenizer(',', (c) => out.push(c));
  for (const ch of text) t.push(ch);
  t.end();
  assert.deepEqual(out, [
    ['a', 'b'],
    ['1\n2', '3'],
  ]);
});
