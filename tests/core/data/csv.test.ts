import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCsv, type CsvOptions } from '../../../src/core/data/csv';
import { DatasetError } from '../../../src/core/data/types';

/** Asserts parseCsv fails with exactly this one-line message. */
function fails(text: string, message: string, options: CsvOptions = {}): void {
  assert.throws(
    () => parseCsv(text, options),
    (err: unknown) => {
      assert.ok(err instanceof DatasetError);
      assert.equal(err.message, message);
      assert.ok(!err.message.includes('\n'));
      return true;
    },
  );
}

const IRIS_HEAD = 'sepal_length,sepal_width,petal_length,petal_width,species\n';
const irisRows = (n: number): string =>
  Array.from({ length: n }, (_, i) => `5.${i % 10},3.${i % 7},1.${i % 5},0.${i % 3},${i % 2 ? 'setosa' : 'virginica'}`).join(
    '\n',
  ) + '\n';

test('ragged row names the line and the counts', () => {
  const text = IRIS_HEAD + irisRows(15) + '5.1,3.5,1.4,setosa\n';
  fails(text, 'line 17: expected 5 cells, found 4');
});

test('non-numeric feature cell names line and column', () => {
  const text = IRIS_HEAD + irisRows(7) + '5.1,3.5,1.4,abc,setosa\n';
  fails(text, "line 9, column 'petal_width': 'abc' is not a number");
});

test('line numbers stay physical with quoted newlines and blank lines before the error', () => {
  const text = 'a,b,label\n"1",2,"x\ny"\n\n3,oops,z\n';
  fails(text, "line 5, column 'b': 'oops' is not a number");
});

test('headerless files name columns by 1-based number', () => {
  fails('1,2,0\n3,x,1\n', "line 2, column 2: 'x' is not a number");
});

test('NaN, Infinity and overflow are rejected as non-finite', () => {
  fails('a,b\n1,0\nNaN,1\n', "line 3, column 'a': 'NaN' is not a finite number");
  fails('a,b\n1,0\n-Infinity,1\n', "line 3, column 'a': '-Infinity' is not a finite number");
  fails('a,b\n1,0\n1e999,1\n', "line 3, column 'a': '1e999' is not a finite number");
  fails('a,y\n1,0.5\n2,inf\n', "line 3, column 'y': 'inf' is not a finite number");
});

test('missing values are named as such', () => {
  fails('a,b,y\n1,2,0\n1,,1\n', "line 3, column 'b': empty cell (missing value)");
  fails('a,y\n1,0\n2,\n', "line 3, column 'y': empty label (missing value)");
});

test('hex, underscores and other Number() quirks are not numbers', () => {
  fails('a,y\n1,0\n0x10,1\n', "line 3, column 'a': '0x10' is not a number");
  fails('a,y\n1,0\n1_000,1\n', "line 3, column 'a': '1_000' is not a number");
});

test('empty inputs', () => {
  fails('', 'CSV is empty (no header and no data rows)');
  fails('\uFEFF\r\n\n', 'CSV is empty (no header and no data rows)');
  fails('a,b,c\n', 'CSV has a header (a, b, c) but no data rows');
});

test('label column not found lists the columns', () => {
  fails(
    IRIS_HEAD + irisRows(4),
    "label column 'class' not found; columns are: sepal_length, sepal_width, petal_length, petal_width, species",
    {
      labelColumn: 'class',
    },
  );
  fails('1,2,0\n3,4,1\n', 'label column index 3 is out of range: the file has 3 columns (column_1, column_2, column_3)', {
    labelColumn: 3,
  });
});

test('a class label column with one class is refused', () => {
  fails(
    'x,y\n1,a\n2,a\n',
    "label column 'y' has only one class ('a'); classification needs at least 2 (or use task: 'regression')",
  );
});

test('explicit regression needs numeric targets', () => {
  fails('x,y\n1,2.5\n2,abc\n', "line 3, column 'y': 'abc' is not a number", { task: 'regression' });
});

test('quoted cells, CRLF, BOM and surrounding spaces parse', () => {
  const ds = parseCsv('\uFEFF"f 1","f,2",label\r\n" 1.5",2, "cat" \r\n"2.5", 3 ,dog\r\n', { normalize: 'none' });
  assert.deepEqual(ds.featureNames, ['f 1', 'f,2']);
  assert.deepEqual(Array.from(ds.x), [1.5, 2, 2.5, 3]);
  assert.deepEqual(ds.classNames, ['"cat"', 'dog']);
});

test('string labels map in sorted order by default, first-appearance on request', () => {
  const text = 'x,y\n1,zebra\n2,ant\n3,moose\n4,ant\n';
  const sorted = parseCsv(text);
  assert.equal(sorted.task, 'classification');
  assert.deepEqual(sorted.classNames, ['ant', 'moose', 'zebra']);
  assert.deepEqual(Array.from(sorted.y), [2, 0, 1, 0]);
  assert.ok(sorted.y instanceof Int32Array);
  const first = parseCsv(text, { classOrder: 'first-appearance' });
  assert.deepEqual(first.classNames, ['zebra', 'ant', 'moose']);
  assert.deepEqual(Array.from(first.y), [0, 1, 2, 1]);
});

test('explicit classNames fix the order and reject unknown labels', () => {
  const ds = parseCsv('x,y\n1,b\n2,a\n', { classNames: ['b', 'a', 'c'] });
  assert.deepEqual(Array.from(ds.y), [0, 1]);
  assert.equal(ds.numClasses, 3);
  fails('x,y\n1,b\n2,q\n', "line 3, column 'y': label 'q' is not one of the classNames (a, b)", { classNames: ['a', 'b'] });
});

test('task auto-detection', () => {
  const ints = parseCsv('x,y\n1,2\n2,10\n3,2\n4,1.0\n');
  assert.equal(ints.task, 'classification');
  assert.deepEqual(ints.classNames, ['1', '2', '10']); // numeric order; '1.0' and '1' are one class
  assert.deepEqual(Array.from(ints.y), [1, 2, 1, 0]);

  const floats = parseCsv('x,y\n1,0.5\n2,1.5\n');
  assert.equal(floats.task, 'regression');
  assert.ok(floats.y instanceof Float32Array);
  assert.equal(floats.targetDim, 1);
  assert.deepEqual(Array.from(floats.y), [0.5, 1.5]);

  const many = Array.from({ length: 30 }, (_, i) => `${i},${i}`).join('\n');
  assert.equal(parseCsv(`x,y\n${many}\n`).task, 'regression'); // > 20 distinct integers
  assert.equal(parseCsv(`x,y\n${many}\n`, { task: 'classification' }).numClasses, 30);
  assert.equal(parseCsv('x,y\n1,0\n2,1\n', { task: 'regression' }).task, 'regression');
});

test('header auto-detection and overrides', () => {
  assert.deepEqual(parseCsv('a,b,y\n1,2,0\n3,4,1\n').featureNames, ['a', 'b']);
  const noHeader = parseCsv('1,2,0\n3,4,1\n');
  assert.equal(noHeader.numExamples, 2);
  assert.deepEqual(noHeader.featureNames, ['column_1', 'column_2']);
  // String labels in both rows do not look like a header; the numeric features decide.
  assert.equal(parseCsv('1,cat\n2,dog\n').numExamples, 2);
  assert.equal(parseCsv('1,2,0\n3,4,1\n', { hasHeader: true, task: 'regression' }).numExamples, 1);
  assert.equal(parseCsv('1,0\n', { classNames: ['0', '1'] }).numExamples, 1);
});

test('label column by name, index and negative index', () => {
  const text = 'y,a,b\n0,1,2\n1,3,4\n';
  const byName = parseCsv(text, { labelColumn: 'y', normalize: 'none' });
  assert.deepEqual(byName.featureNames, ['a', 'b']);
  assert.deepEqual(Array.from(byName.x), [1, 2, 3, 4]);
  assert.deepEqual(parseCsv(text, { labelColumn: 0 }).featureNames, ['a', 'b']);
  assert.deepEqual(parseCsv(text, { labelColumn: -2 }).featureNames, ['y', 'b']);
});

test('semicolon delimiter and featureShape', () => {
  const ds = parseCsv('p1;p2;p3;p4;y\n0;1;2;3;a\n4;5;6;7;b\n', { delimiter: ';', featureShape: [2, 2, 1], normalize: 'none' });
  assert.deepEqual(ds.featureShape, [2, 2, 1]);
  assert.deepEqual(Array.from(ds.x), [0, 1, 2, 3, 4, 5, 6, 7]);
  fails('a,b,y\n1,2,0\n3,4,1\n', 'featureShape [3] does not fit 2 feature columns', { featureShape: [3] });
});

const NORM_TEXT = 'a,b,c,y\n1,10,7,0\n2,20,7,1\n4,-30,7,0\n9,40,7,1\n';
const COLS = [
  [1, 2, 4, 9],
  [10, 20, -30, 40],
  [7, 7, 7, 7],
];

test('z-score normalization matches independently computed statistics; constant columns become 0', () => {
  const ds = parseCsv(NORM_TEXT);
  assert.equal(ds.normalization?.kind, 'zscore');
  COLS.forEach((col, j) => {
    const mean = col.reduce((s, v) => s + v, 0) / col.length;
    const std = Math.sqrt(col.reduce((s, v) => s + (v - mean) ** 2, 0) / col.length);
    if (ds.normalization?.kind !== 'zscore') throw new Error('unreachable');
    assert.ok(Math.abs(ds.normalization.mean[j] - mean) < 1e-12);
    assert.ok(Math.abs(ds.normalization.std[j] - std) < 1e-12);
    col.forEach((v, i) => {
      const want = std === 0 ? 0 : (v - mean) / std;
      assert.equal(ds.x[i * 3 + j], Math.fround(want), `row ${i} col ${j}`);
    });
  });
  assert.ok(ds.x.every(Number.isFinite));
});

test('min-max normalization, constant columns become 0', () => {
  const ds = parseCsv(NORM_TEXT, { normalize: 'minmax' });
  assert.deepEqual(ds.normalization, { kind: 'minmax', min: [1, -30, 7], max: [9, 40, 7] });
  assert.deepEqual(Array.from(ds.x.subarray(0, 3)), [0, Math.fround(40 / 70), 0]);
  assert.deepEqual(Array.from(ds.x.subarray(9, 12)), [1, 1, 0]);
});

test('stored statistics are applied as is (resume / validation file / export)', () => {
  const train = parseCsv(NORM_TEXT);
  const again = parseCsv('a,b,c,y\n2,20,7,1\n', { normalize: train.normalization, classNames: train.classNames });
  assert.deepEqual(Array.from(again.y), [1]);
  assert.deepEqual(again.normalization, train.normalization);
  assert.deepEqual(Array.from(again.x), Array.from(train.x.subarray(3, 6)));
  fails('a,y\n1,0\n2,1\n', 'normalization mean must have 1 values (one per feature), got 2', {
    normalize: { kind: 'zscore', mean: [0, 0], std: [1, 1] },
  });
});

test('normalization none keeps raw float32 values', () => {
  const ds = parseCsv('a,y\n0.1,0\n-2e3,1\n', { normalize: 'none' });
  assert.deepEqual(ds.normalization, { kind: 'none' });
  assert.deepEqual(Array.from(ds.x), [Math.fround(0.1), -2000]);
});
