/**
 * An incremental RFC-4180-ish CSV tokenizer: push text chunks, get records with their 1-based
 * starting line. Quoted fields may hold delimiters, doubled quotes and newlines; CRLF, LF and lone
 * CR end records; a leading BOM is dropped; blank (or whitespace-only) lines are skipped.
 *
 * Linear time: fields are found with indexOf/charCodeAt and cut with slice (never built char by
 * char); only the unfinished tail record of a chunk is carried over to the next push.
 */
import { DatasetError } from './types';

export type RecordHandler = (cells: string[], line: number) => void;

const QUOTE = 34; // "
const LF = 10;
const CR = 13;

/** Returned by the record reader when the buffer ends before the record does. */
const INCOMPLETE = -1;

export class CsvTokenizer {
  private buf = '';
  private line = 1;
  private started = false;
  private ended = false;
  private readonly delim: number;

  constructor(
    delimiter: string,
    private readonly onRecord: RecordHandler,
  ) {
    if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\n' || delimiter === '\r') {
      throw new DatasetError(
        `CSV delimiter must be one character other than a quote or newline (got ${JSON.stringify(delimiter)})`,
      );
    }
    this.delim = delimiter.charCodeAt(0);
  }

  /** Feeds the next chunk of text; emits every record that is complete. */
  push(chunk: string): void {
    if (this.ended) throw new DatasetError('CSV tokenizer: push after end');
    if (!this.started && chunk.length > 0) {
      this.started = true;
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
    }
    this.buf = this.buf.length === 0 ? chunk : this.buf + chunk;
    this.drain(false);
  }

  /** Flushes the last record (a missing trailing newline is fine). */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.drain(true);
  }

  private drain(final: boolean): void {
    const s = this.buf;
    let pos = 0;
    while (pos < s.length) {
      const next = this.readRecord(s, pos, final);
      if (next === INCOMPLETE) break;
      pos = next;
    }
    this.buf = pos >= s.length ? '' : s.slice(pos);
  }

  /** Reads one record starting at `pos`; returns the position after it, or INCOMPLETE. */
  private readRecord(s: string, pos: number, final: boolean): number {
    const startLine = this.line;
    let newlines = 0;
    const cells: string[] = [];
    for (;;) {
      let value: string;
      if (s.charCodeAt(pos) === QUOTE) {
        const q = this.readQuoted(s, pos, final, startLine + newlines);
        if (q === null) return INCOMPLETE;
        value = q.value;
        newlines += q.newlines;
        pos = q.end;
        const c = s.charCodeAt(pos);
        if (pos < s.length && c !== this.delim && c !== LF && c !== CR) {
          throw new DatasetError(
            `line ${startLine + newlines}: unexpected character ${JSON.stringify(s[pos])} after a closing quote (quote the whole field and double inner quotes)`,
          );
        }
      } else {
        const end = this.scanUnquoted(s, pos);
        value = s.slice(pos, end);
        pos = end;
      }
      cells.push(value);
      if (pos >= s.length) {
        if (!final) return INCOMPLETE;
        this.emit(cells, startLine);
        this.line = startLine + newlines;
        return pos;
      }
      const c = s.charCodeAt(pos);
      if (c === this.delim) {
        pos++;
        continue;
      }
      // End of record: LF, CRLF or a lone CR. A CR at the chunk's end may be half of a CRLF.
      if (c === CR && pos + 1 >= s.length && !final) return INCOMPLETE;
      pos += c === CR && s.charCodeAt(pos + 1) === LF ? 2 : 1;
      this.emit(cells, startLine);
      this.line = startLine + newlines + 1;
      return pos;
    }
  }

  /** Position of the next delimiter, CR or LF at or after `pos` (or the end). */
  private scanUnquoted(s: string, pos: number): number {
    const d = this.delim;
    const n = s.length;
    while (pos < n) {
      const c = s.charCodeAt(pos);
      if (c === d || c === LF || c === CR) break;
      pos++;
    }
    return pos;
  }

  /** Reads a quoted field at `pos` (which holds the opening quote); null if the chunk ends inside it. */
  private readQuoted(
    s: string,
    pos: number,
    final: boolean,
    line: number,
  ): { value: string; end: number; newlines: number } | null {
    const parts: string[] = [];
    let p = pos + 1;
    let newlines = 0;
    for (;;) {
      const q = s.indexOf('"', p);
      if (q < 0 || (q + 1 >= s.length && !final)) {
        // No closing quote yet, or a quote at the chunk end that may be the first of a doubled pair.
        if (!final) return null;
        throw new DatasetError(`line ${line}: unterminated quoted field (missing closing quote)`);
      }
      newlines += countLineBreaks(s, p, q);
      parts.push(s.slice(p, q));
      if (s.charCodeAt(q + 1) === QUOTE) {
        parts.push('"');
        p = q + 2;
        continue;
      }
      return { value: parts.length === 1 ? parts[0] : parts.join(''), end: q + 1, newlines };
    }
  }

  private emit(cells: string[], line: number): void {
    // Blank and whitespace-only lines carry no data.
    if (cells.length === 1 && cells[0].trim() === '') return;
    this.onRecord(cells, line);
  }
}

/** Line breaks (LF, CRLF or lone CR each count once) in s[from, to). */
function countLineBreaks(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c === LF) n++;
    else if (c === CR && s.charCodeAt(i + 1) !== LF) n++;
  }
  return n;
}

/** Convenience for small inputs and tests: all records of `text` with their starting lines. */
export function tokenizeCsv(text: string, delimiter = ','): { cells: string[]; line: number }[] {
  const out: { cells: string[]; line: number }[] = [];
  const t = new CsvTokenizer(delimiter, (cells, line) => out.push({ cells, line }));
  t.push(text);
  t.end();
  return out;
}
