/**
 * CSV → Dataset. Pure (works on strings); `createCsvParser` takes chunks so a caller can stream a
 * large file, `parseCsv` takes the whole text. Features are parsed straight into a growable float64
 * buffer (no row objects kept), normalized once at the end with statistics stored in the dataset.
 */
import { CsvTokenizer } from './csv-tokenizer';
import { excerpt, quote } from '../text/quote';
import { encodeClasses, inferTask, type ClassOrder } from './csv-labels';
import { GrowableF64, isNonFiniteSpelling, looksLikeHeader, parseNumberCell, trimCell } from './csv-values';
import { applyNormalization, checkNormalization, computeNormalization } from './normalize';
import { LabelTally, type CsvSummary } from './csv-summary';
import { DatasetError, type Dataset, type Normalization, type NormalizationKind, type Task } from './types';

export interface CsvOptions {
  /** Label column: header name, or 0-based index (negative counts from the end). Default: last. */
  labelColumn?: string | number;
  /** Default: auto-detected (see looksLikeHeader). */
  hasHeader?: boolean;
  /** Default: auto (non-numeric, or integer labels with ≤ 20 distinct values → classification). */
  task?: Task;
  /** A kind computes statistics from this file; a stored Normalization is applied as is. Default zscore. */
  normalize?: NormalizationKind | Normalization;
  /** One character; default ','. */
  delimiter?: string;
  /** Dataset name; default 'csv'. */
  name?: string;
  /** Reshape each row's features, e.g. [8, 8, 1]; the product must equal the feature count. */
  featureShape?: number[];
  /** Fixed class order (labels not listed are an error). */
  classNames?: string[];
  /** Class order when classNames is not given; default 'sorted'. */
  classOrder?: ClassOrder;
}

export interface CsvParser {
  push(chunk: string): void;
  /** Ends the input and builds the dataset; throws DatasetError on any problem. */
  finish(): Dataset;
}

/** Parses a whole CSV text into a dataset. */
export function parseCsv(text: string, options: CsvOptions = {}): Dataset {
  const parser = createCsvParser(options);
  parser.push(text);
  return parser.finish();
}

/** Incremental parser: push chunks of text in order, then finish(). */
export function createCsvParser(options: CsvOptions = {}): CsvParser {
  const builder = new CsvBuilder(options, false);
  const tokenizer = new CsvTokenizer(options.delimiter ?? ',', (cells, line) => builder.record(cells, line));
  return {
    push: (chunk) => tokenizer.push(chunk),
    finish: () => {
      tokenizer.end();
      return builder.finish();
    },
  };
}

export interface CsvSummarizer {
  push(chunk: string): void;
  /** What the file holds, checked as createCsvParser checks it; null when only a full parse can tell the task. */
  finish(): CsvSummary | null;
}

/**
 * The same parse, keeping no values: row count, feature shape, distinct labels. Every cell is still
 * checked, so a bad file fails here with the parser's message.
 */
export function createCsvSummarizer(options: CsvOptions = {}): CsvSummarizer {
  const builder = new CsvBuilder(options, true);
  const tokenizer = new CsvTokenizer(options.delimiter ?? ',', (cells, line) => builder.record(cells, line));
  return {
    push: (chunk) => tokenizer.push(chunk),
    finish: () => {
      tokenizer.end();
      return builder.summarize();
    },
  };
}

interface Columns {
  names: string[];
  fromHeader: boolean;
  label: number;
  features: number[];
}

class CsvBuilder {
  private pending: { cells: string[]; line: number }[] = [];
  private cols: Columns | null = null;
  private readonly x = new GrowableF64(4096);
  private readonly labels: string[] = [];
  private readonly lines: number[] = [];
  private numericLabels: GrowableF64 | null = new GrowableF64(1024);
  private readonly tally: LabelTally | null;
  private rows = 0;

  constructor(
    private readonly opts: CsvOptions,
    summaryOnly: boolean,
  ) {
    this.tally = summaryOnly ? new LabelTally(opts.task) : null;
    if (opts.task !== undefined && opts.task !== 'classification' && opts.task !== 'regression') {
      throw new DatasetError(`task must be 'classification' or 'regression' (got '${String(opts.task)}')`);
    }
  }

  record(cells: string[], line: number): void {
    if (this.cols !== null) return this.row(cells, line);
    // Header auto-detection looks at the first two records, so hold them back until then.
    this.pending.push({ cells, line });
    if (this.pending.length === 2 || this.opts.hasHeader !== undefined) this.start();
  }

  finish(): Dataset {
    const cols = this.end();
    return this.build(cols, this.rows);
  }

  summarize(): CsvSummary | null {
    const cols = this.end();
    const tally = this.tally as LabelTally;
    if (tally.undecided) return null;
    const numFeatures = cols.features.length;
    const norm = this.opts.normalize;
    if (typeof norm === 'object' && norm !== null) checkNormalization(norm, numFeatures);
    else computeNormalization(norm ?? 'zscore', new Float64Array(0), 0, numFeatures); // checks the kind
    const featureShape = resolveFeatureShape(this.opts.featureShape, numFeatures);
    const labels = tally.resolve(this.opts, this.display(cols.label));
    return { name: this.opts.name ?? 'csv', examples: this.rows, featureShape, ...labels };
  }

  private end(): Columns {
    if (this.cols === null) this.start();
    const cols = this.cols as Columns | null;
    if (cols === null) throw new DatasetError('CSV is empty (no header and no data rows)');
    if (this.rows === 0) throw new DatasetError(`CSV has a header (${excerpt(cols.names.join(', '), 200)}) but no data rows`);
    return cols;
  }

  private start(): void {
    const [first, second] = this.pending;
    this.pending = [];
    if (first === undefined) return;
    const header = this.opts.hasHeader ?? looksLikeHeader(first.cells, second?.cells);
    const names = header ? first.cells.map(trimCell) : first.cells.map((_, j) => `column_${j + 1}`);
    if (header && names.some((c) => c === '')) {
      throw new DatasetError(`line ${first.line}: the header has an empty column name (column ${names.indexOf('') + 1})`);
    }
    const label = resolveLabelColumn(this.opts.labelColumn, names, header);
    const features = names.map((_, j) => j).filter((j) => j !== label);
    if (features.length === 0) throw new DatasetError('CSV needs at least one feature column besides the label column');
    this.cols = { names, fromHeader: header, label, features };
    if (!header) this.row(first.cells, first.line);
    if (second !== undefined) this.row(second.cells, second.line);
  }

  private row(cells: string[], line: number): void {
    const cols = this.cols as Columns;
    if (cells.length !== cols.names.length) {
      throw new DatasetError(`line ${line}: expected ${cols.names.length} cells, found ${cells.length}`);
    }
    const x = this.x;
    if (this.tally === null) x.reserve(cols.features.length);
    for (const j of cols.features) {
      const v = parseNumberCell(cells[j]);
      if (!Number.isFinite(v)) this.cellError(line, j, cells[j]);
      if (this.tally === null) x.data[x.length++] = v;
    }
    this.rows++;
    this.label(trimCell(cells[cols.label]), line);
  }

  private label(cell: string, line: number): void {
    const col = this.cols as Columns;
    if (cell === '') throw new DatasetError(`line ${line}, column ${this.display(col.label)}: empty label (missing value)`);
    const v = parseNumberCell(cell);
    if (this.tally) this.tally.add(cell, line, this.numericLabels === null ? NaN : v);
    else {
      this.labels.push(cell);
      this.lines.push(line);
    }
    if (this.numericLabels === null) return;
    if (Number.isFinite(v)) {
      if (!this.tally) this.numericLabels.push(v);
      return;
    }
    // Regression needs numbers; NaN/Infinity among numeric labels is a missing value, not a class.
    const task = this.opts.task;
    if (task === 'regression' || (task === undefined && (isNonFiniteSpelling(cell) || !Number.isNaN(v)))) {
      this.cellError(line, col.label, cell);
    }
    this.numericLabels = null; // text labels: a classification column
  }

  private cellError(line: number, col: number, cell: string): never {
    const where = `line ${line}, column ${this.display(col)}`;
    const t = trimCell(cell);
    if (t === '') throw new DatasetError(`${where}: empty cell (missing value)`);
    if (isNonFiniteSpelling(t) || !Number.isNaN(parseNumberCell(t))) {
      throw new DatasetError(`${where}: ${quote(t)} is not a finite number`);
    }
    throw new DatasetError(`${where}: ${quote(t)} is not a number`);
  }

  private display(col: number): string {
    const cols = this.cols as Columns;
    return cols.fromHeader ? quote(cols.names[col]!) : String(col + 1);
  }

  private build(cols: Columns, n: number): Dataset {
    const numFeatures = cols.features.length;
    const raw = this.x.view();
    const normalization = resolveNormalization(this.opts.normalize, raw, n, numFeatures);
    const x = applyNormalization(raw, n, numFeatures, normalization);
    const numeric = this.numericLabels?.view() ?? null;
    const task = this.opts.task ?? inferTask(numeric);
    const base = {
      name: this.opts.name ?? 'csv',
      numExamples: n,
      featureShape: resolveFeatureShape(this.opts.featureShape, numFeatures),
      x,
      featureNames: cols.features.map((j) => cols.names[j]),
      normalization,
    };
    if (task === 'regression') {
      // Only reachable with all-numeric labels: non-numbers already failed in label().
      return { ...base, y: Float32Array.from(numeric as Float64Array), task, targetDim: 1 };
    }
    const labelCol = { raw: this.labels, lines: this.lines, numeric, display: this.display(cols.label) };
    const { y, classNames } = encodeClasses(labelCol, this.opts);
    return { ...base, y, task, numClasses: classNames.length, classNames };
  }
}

function resolveLabelColumn(spec: string | number | undefined, names: string[], header: boolean): number {
  const n = names.length;
  const list = excerpt(names.join(', '), 200);
  if (spec === undefined) return n - 1;
  if (typeof spec === 'number') {
    if (!Number.isInteger(spec) || spec >= n || spec < -n) {
      throw new DatasetError(`label column index ${spec} is out of range: the file has ${n} columns (${list})`);
    }
    return spec < 0 ? n + spec : spec;
  }
  const idx = names.indexOf(spec.trim());
  if (idx < 0) {
    const hint = header ? '' : ' (the file has no header: pass a 0-based index or hasHeader: true)';
    throw new DatasetError(`label column ${quote(spec)} not found; columns are: ${list}${hint}`);
  }
  return idx;
}

function resolveNormalization(
  spec: NormalizationKind | Normalization | undefined,
  raw: Float64Array,
  n: number,
  numFeatures: number,
): Normalization {
  if (spec === undefined) return computeNormalization('zscore', raw, n, numFeatures);
  if (typeof spec === 'string') return computeNormalization(spec, raw, n, numFeatures);
  return spec; // stored statistics; applyNormalization validates them
}

function resolveFeatureShape(shape: number[] | undefined, numFeatures: number): number[] {
  if (shape === undefined) return [numFeatures];
  const size = shape.reduce((a, b) => a * b, 1);
  if (shape.some((d) => !Number.isInteger(d) || d < 1) || size !== numFeatures) {
    throw new DatasetError(`featureShape [${shape.join(', ')}] does not fit ${numFeatures} feature columns`);
  }
  return [...shape];
}
