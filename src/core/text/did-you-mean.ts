/**
 * "did you mean …?" for unknown config keys: the known key closest in edit distance, when it is close
 * enough to be a typo (`normalise` → `normalize`, `labelColum` → `labelColumn`, `pth` → `path`).
 */

/** Levenshtein distance (insert, delete, substitute), case-insensitive. */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  let prev = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const row = [i];
    for (let j = 1; j <= t.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (s[i - 1] === t[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[t.length]!;
}

/** The closest candidate within a typo's reach (about a third of the word, at least 1), else null. */
export function closestMatch(word: string, candidates: readonly string[]): string | null {
  const limit = Math.max(1, Math.floor(word.length / 3));
  let best: { name: string; d: number } | null = null;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d <= limit && (!best || d < best.d)) best = { name: c, d };
  }
  return best?.name ?? null;
}

/** One line for an unknown key: the suggestion when one is close, else the list of known keys. */
export function unknownKeyMessage(key: string, known: readonly string[]): string {
  const near = closestMatch(key, known);
  return near ? `unknown key '${key}' (did you mean '${near}'?)` : `unknown key '${key}' (known: ${known.join(', ')})`;
}
