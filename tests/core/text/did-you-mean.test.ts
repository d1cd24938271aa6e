import assert from 'node:assert/strict';
import { test } from 'node:test';
import { closestMatch, editDistance, unknownKeyMessage } from '../../../src/core/text/did-you-mean';

test('edit distance counts inserts, deletes and substitutions', () => {
  assert.equal(editDistance('normalise', 'normalize'), 1);
  assert.equal(editDistance('labelColum', 'labelColumn'), 1);
  assert.equal(editDistance('pth', 'path'), 1);
  assert.equal(editDistance('kitten', 'sitting'), 3);
  assert.equal(editDistance('', 'abc'), 3);
  assert.equal(editDistance('Units', 'units'), 0, 'case-insensitive');
});

test("the issue's typos get a suggestion; far-off words list the known keys", () => {
  const csv = ['kind', 'path', 'labelColumn', 'normalize', 'hasHeader', 'delimiter'];
  assert.equal(unknownKeyMessage('normalise', csv), "unknown key 'normalise' (did you mean 'normalize'?)");
  assert.equal(unknownKeyMessage('labelColum', csv), "unknown key 'labelColum' (did you mean 'labelColumn'?)");
  assert.equal(unknownKeyMessage('pth', csv), "unknown key 'pth' (did you mean 'path'?)");
  assert.equal(unknownKeyMessage('zzzzzz', ['path', 'kind']), "unknown key 'zzzzzz' (known: path, kind)");
  assert.equal(closestMatch('xy', ['path']), null, 'two letters of four wrong is not a typo');
});
