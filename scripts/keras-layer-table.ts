/**
 * Writes the Keras layer tables between the `keras-layers` markers: a compact list (supported / not
 * supported) in README.md and the full table, with why each class is not read, in docs/keras-models.md.
 * Both come from the catalogue of Keras 3.15's layer classes and the translators that read them
 * (src/core/models/keras/catalogue.ts, registry.ts). `--check` only reports whether both files are
 * current (tests/core/models/keras/layer-table.test.ts).
 * Run: node --import tsx scripts/keras-layer-table.ts [--check]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KERAS_LAYER_CLASSES } from '../src/core/models/keras/catalogue';
import { APPLICATION_LAYERS, TRANSLATORS } from '../src/core/models/keras/registry';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const README = join(ROOT, 'README.md');
export const KERAS_DOC = join(ROOT, 'docs', 'keras-models.md');
const BEGIN = '<!-- keras-layers:begin -->';
const END = '<!-- keras-layers:end -->';
const WIDTH = 110;

const classes = Object.keys(KERAS_LAYER_CLASSES).sort();
const isRead = (name: string) => name in TRANSLATORS;

/** `label (n): a, b, …` wrapped to the README's line width. */
function wrappedList(label: string, names: string[]): string {
  const lines: string[] = [];
  let line = `${label} (${names.length}):`;
  for (const [i, n] of names.entries()) {
    const word = ` ${n}${i < names.length - 1 ? ',' : '.'}`;
    if (line.length + word.length > WIDTH) {
      lines.push(line);
      line = ' ';
    }
    line += word;
  }
  return [...lines, line].join('\n');
}

/** README.md's block: which Keras layer classes a model may use, and where the details are. */
export function compactLayerList(): string {
  return [
    wrappedList('Supported', classes.filter(isRead)),
    `Also keras.applications' own layers: ${Object.keys(APPLICATION_LAYERS).join(', ')}.`,
    '',
    wrappedList(
      'Not supported',
      classes.filter((n) => !isRead(n)),
    ),
    '',
    'Options, masks, BatchNormalization on a mesh, random layers and why each class is not read:',
    '[docs/keras-models.md](docs/keras-models.md).',
  ].join('\n');
}

/** docs/keras-models.md's block: every class, read or not (and why not), then keras.applications' layers. */
export function fullLayerTable(): string {
  const rows = classes.map((n) => `| \`${n}\` | ${isRead(n) ? 'yes' : 'no'} | ${isRead(n) ? '' : KERAS_LAYER_CLASSES[n]} |`);
  const apps = Object.keys(APPLICATION_LAYERS).map((n) => `| \`${n}\` (keras.applications) | yes | |`);
  return ['| Keras layer class | supported | why not |', '|---|---|---|', ...rows, ...apps].join('\n');
}

/** `text` with the block between the markers replaced by `block`. */
export function withBlock(text: string, block: string, file: string): string {
  const a = text.indexOf(BEGIN);
  const b = text.indexOf(END);
  if (a < 0 || b < a) throw new Error(`${file} has no ${BEGIN} … ${END} block`);
  return `${text.slice(0, a + BEGIN.length)}\n${block}\n${text.slice(b)}`;
}

/** Each file with its text now and the text it should have. */
export function layerTableFiles(): { file: string; now: string; next: string }[] {
  return [
    { file: README, block: compactLayerList() },
    { file: KERAS_DOC, block: fullLayerTable() },
  ].map(({ file, block }) => {
    const now = readFileSync(file, 'utf8');
    return { file, now, next: withBlock(now, block, file) };
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const files = layerTableFiles();
  const stale = files.filter((f) => f.next !== f.now);
  if (process.argv.includes('--check')) {
    for (const f of stale)
      process.stderr.write(`${f.file}: the Keras layer table is out of date: node --import tsx scripts/keras-layer-table.ts\n`);
    process.exit(stale.length > 0 ? 1 : 0);
  }
  for (const f of stale) writeFileSync(f.file, f.next);
}
