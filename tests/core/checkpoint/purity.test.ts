import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

test('src/core/checkpoint imports only core code (no node:, SQLite, Electron or runtimes)', () => {
  const dir = 'src/core/checkpoint';
  for (const file of readdirSync(dir)) {
    const source = readFileSync(join(dir, file), 'utf8');
    const imports = [...source.matchAll(/from '([^']+)'/g)].map((m) => m[1]);
    for (const spec of imports) {
      assert.ok(spec.startsWith('./') || spec.startsWith('../'), `${file} imports ${spec}`);
      assert.ok(!/\.\.\/\.\.\/|main|workers|cli/.test(spec), `${file} imports ${spec}`);
    }
  }
});
