/**
 * `npm run lint:citations [-- ROOT]`: checks that code comments cite documents a reader of the
 * repository can open (the project's rule: comments cite README.md or docs/…, nothing outside it). Over the
 * source files of src/, tests/, bench/ and scripts/ under ROOT (default: this repository), a comment is
 * refused when it
 *   - cites a numbered section (a section sign and a number) of a specification outside the repository:
 *     cite a docs/ section instead; a section of a named public standard (WebAssembly, ECMAScript,
 *     RFC, IEEE) is fine;
 *   - names a path outside the repository: up into the shared folder beside the checkout, an absolute
 *     path under the machine's work folder, or the shared specification folder;
 *   - cites `docs/<file>.md` or `README.md` that does not exist under ROOT.
 * Only comments are read: code and strings (a test reading external fixtures) are not citations.
 * Comments are found with TypeScript's own scanner, so `//` inside a string or a regex is not one.
 * Prints file:line and the citation for each, then exits 1.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const SCANNED_DIRS = ['src', 'tests', 'bench', 'scripts'];
const SOURCE_FILE = /\.(?:[cm]?[jt]s|tsx)$/;
const SKIPPED_DIRS = new Set(['node_modules', 'out', 'dist', 'build']);

/** Public standards whose numbered sections a comment may cite. */
const PUBLIC_STANDARD = /\b(?:WebAssembly|ECMAScript|ECMA-\d+|RFC\s*\d+|IEEE)\b[^§]*$/;
const SECTION_CITATION = /(?:\bspec(?:ification)?\s*)?§\s*\d+[a-z]?/gi;
const OUTSIDE_PATH = /\.\.\/shared\b[^\s)'"`,;]*|\/work\/[^\s)'"`,;]*|(?<![\w.-])shared\/spec\/[^\s)'"`,;]*/g;
const MIGHT_CITE = /§|shared|\/work\/|\.md\b/;
const DOC_CITATION = /(?<![\w/.-])(?:docs\/[\w./-]*?\.md|README\.md)\b/g;

/** Every source file under the scanned folders of `root`, sorted. */
function sourceFiles(root) {
  const out = [];
  const walk = (dir) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) {
        if (!SKIPPED_DIRS.has(name)) walk(path);
      } else if (SOURCE_FILE.test(name)) out.push(path);
    }
  };
  for (const dir of SCANNED_DIRS) if (existsSync(join(root, dir))) walk(join(root, dir));
  return out;
}

/** The comments of a source text, each with the 1-based line it starts on. */
export function commentsOf(text, fileName) {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, false);
  const seen = new Set();
  const comments = [];
  const collect = (ranges) => {
    for (const r of ranges ?? []) {
      if (seen.has(r.pos)) continue;
      seen.add(r.pos);
      comments.push({ pos: r.pos, text: text.slice(r.pos, r.end) });
    }
  };
  // Comments are trivia around tokens; visiting every token's leading and trailing trivia finds them
  // all (the end-of-file token carries a file's last comments).
  const visit = (node) => {
    collect(ts.getLeadingCommentRanges(text, node.getFullStart()));
    collect(ts.getTrailingCommentRanges(text, node.getEnd()));
    for (const child of node.getChildren(source)) visit(child);
  };
  visit(source);
  return comments
    .sort((a, b) => a.pos - b.pos)
    .map((c) => ({ line: source.getLineAndCharacterOfPosition(c.pos).line + 1, text: c.text }));
}

/** The problems in one comment, each `{ line, citation, reason }`. */
function problemsIn(comment, root) {
  const problems = [];
  comment.text.split('\n').forEach((lineText, i) => {
    const line = comment.line + i;
    for (const m of lineText.matchAll(SECTION_CITATION)) {
      if (PUBLIC_STANDARD.test(lineText.slice(0, m.index))) continue;
      problems.push({ line, citation: m[0], reason: 'cites a specification outside the repository; cite a docs/ section' });
    }
    for (const m of lineText.matchAll(OUTSIDE_PATH)) {
      problems.push({ line, citation: m[0], reason: 'names a path outside the repository' });
    }
    for (const m of lineText.matchAll(DOC_CITATION)) {
      if (!existsSync(join(root, m[0]))) problems.push({ line, citation: m[0], reason: 'cites a document that does not exist' });
    }
  });
  return problems;
}

/** Every bad citation in the comments under `root`, as `{ file, line, citation, reason }` (file relative to root). */
export function findCitationProblems(root) {
  const problems = [];
  for (const path of sourceFiles(root)) {
    const file = relative(root, path).split(sep).join('/');
    const text = readFileSync(path, 'utf8');
    if (!MIGHT_CITE.test(text)) continue; // parsing only the files that could hold a citation keeps lint fast
    for (const comment of commentsOf(text, path)) {
      for (const p of problemsIn(comment, root)) problems.push({ file, ...p });
    }
  }
  return problems;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(process.argv[2] ?? join(fileURLToPath(import.meta.url), '..', '..'));
  const problems = findCitationProblems(root);
  for (const p of problems) process.stderr.write(`${p.file}:${p.line}: ${p.citation} — ${p.reason}\n`);
  if (problems.length > 0) {
    process.stderr.write(
      `${problems.length} bad citation(s) in comments; cite README.md or docs/ (see docs/optimizer-contract.md)\n`,
    );
    process.exit(1);
  }
  process.stdout.write(`comment citations hold (${sourceFiles(root).length} files checked)\n`);
}
