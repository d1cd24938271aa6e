/** Host and Origin rules, as pure functions (the server tests cover them over real sockets). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hostAllowed, originAllowed, parseHostHeader, tokensEqual } from '../../../src/engine/serve/security';

test('a loopback server accepts only loopback names on its own port', () => {
  const policy = { boundHost: '127.0.0.1', port: 8080, allowedHosts: ['box.lan'] };
  for (const ok of ['127.0.0.1:8080', 'localhost:8080', 'LOCALHOST:8080', '[::1]:8080']) assert.ok(hostAllowed(ok, policy), ok);
  for (const bad of [
    '127.0.0.1:8081',
    'evil.example:8080',
    '192.168.1.5:8080',
    'box.lan:8080',
    '127.0.0.1',
    '',
    undefined,
    'a:b:c',
  ]) {
    assert.ok(!hostAllowed(bad, policy), String(bad));
  }
});

test('an explicitly exposed server also accepts IP literals and the names it was given', () => {
  const policy = { boundHost: '0.0.0.0', port: 80, allowedHosts: ['box.lan'] };
  for (const ok of ['192.168.1.5', '192.168.1.5:80', 'box.lan', 'localhost:80', '[fe80::1]:80'])
    assert.ok(hostAllowed(ok, policy), ok);
  for (const bad of ['evil.example', 'box.lan:81']) assert.ok(!hostAllowed(bad, policy), bad);
});

test('Origin must be the page’s own origin; non-browser clients send none', () => {
  assert.ok(originAllowed(undefined, 'localhost:1'));
  assert.ok(originAllowed('http://localhost:1', 'localhost:1'));
  assert.ok(!originAllowed('http://localhost:2', 'localhost:1'));
  assert.ok(!originAllowed('null', 'localhost:1'));
  assert.ok(!originAllowed('http://localhost:1', undefined));
});

test('host header parsing and token comparison', () => {
  assert.deepEqual(parseHostHeader('[::1]:99'), { hostname: '[::1]', port: 99 });
  assert.deepEqual(parseHostHeader('Example.COM'), { hostname: 'example.com', port: null });
  assert.equal(parseHostHeader('a b'), null);
  assert.ok(tokensEqual('abc', 'abc'));
  assert.ok(!tokensEqual('abd', 'abc'));
  assert.ok(!tokensEqual(null, 'abc'));
  assert.ok(!tokensEqual('ab', 'abc'));
});
