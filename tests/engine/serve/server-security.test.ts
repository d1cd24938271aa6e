/**
 * Web-mode server security: the API needs the token, refuses other origins and rebinding hosts; the
 * static side serves only files inside its folder, with the right MIME types and 404s.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startServer, type RunningServer } from '../../../src/engine/serve/index';
import { createApiClient, decodeMessage, encodeMessage } from '../../../src/shared/transport/index';
import { TOKEN_HELP } from '../../../src/shared/web-access';
import { FakeTrainer } from './fake-trainer';
import { makeStaticFixture, openSocket, rawGet } from './helpers';

const fixture = makeStaticFixture();
const trainer = new FakeTrainer();
let server: RunningServer;
let base: string;

before(async () => {
  server = await startServer({ api: trainer, subscribe: trainer.subscribe, staticDir: fixture.root });
  base = `127.0.0.1:${server.port}`;
});
after(() => server.close());

const wsUrl = (token: string | null, path = '/api'): string =>
  `ws://${base}${path}${token === null ? '' : `?token=${encodeURIComponent(token)}`}`;

describe('startServer', () => {
  test('listens on loopback with a random port and a long random token in the page URL', async () => {
    assert.ok(server.port > 0);
    assert.ok(server.token.length >= 40, '32 random bytes, base64url');
    assert.equal(server.url, `http://127.0.0.1:${server.port}/?token=${server.token}`);
    const other = await startServer({
      api: trainer,
      subscribe: trainer.subscribe,
      staticDir: fixture.root,
      token: 'given-token',
      port: 0,
    });
    try {
      assert.notEqual(other.port, server.port);
      assert.equal(other.token, 'given-token');
    } finally {
      await other.close();
    }
  });
});

describe('WebSocket /api', () => {
  test('the right token opens a working API connection', async () => {
    const opened = await openSocket(wsUrl(server.token), { Origin: `http://${base}` });
    assert.ok('ws' in opened);
    const { ws } = opened;
    const client = createApiClient(
      (m) => ws.send(encodeMessage(m)),
      (h) => void ws.on('message', (d) => h(decodeMessage(String(d)))),
    );
    assert.deepEqual(
      (await client.listDevices()).map((d) => d.label),
      ['CPU worker 0'],
    );
    const events: string[] = [];
    client.onEvent((e) => events.push(e.type));
    trainer.emit({ type: 'status', runId: 'r', status: 'running', step: 0 });
    for (let i = 0; i < 100 && events.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(events, ['status']);
    ws.close();
  });

  test('no token, a wrong token or a token of the wrong length is refused with 403', async () => {
    for (const token of [
      null,
      '',
      'wrong',
      `${server.token}x`,
      server.token.slice(0, -1) + (server.token.endsWith('A') ? 'B' : 'A'),
    ]) {
      assert.deepEqual(await openSocket(wsUrl(token)), { refused: 403 }, `token ${token}`);
    }
  });

  test('another page (foreign Origin) is refused even with the token', async () => {
    for (const origin of [
      'http://evil.example',
      `http://127.0.0.1:${server.port + 1}`,
      'http://localhost:3000',
      'null',
      `https://${base}`,
    ]) {
      assert.deepEqual(await openSocket(wsUrl(server.token), { Origin: origin }), { refused: 403 }, origin);
    }
  });

  test('a DNS-rebinding Host is refused even with the token and a matching Origin', async () => {
    const host = `attacker.example:${server.port}`;
    assert.deepEqual(await openSocket(wsUrl(server.token), { Host: host, Origin: `http://${host}` }), { refused: 403 });
  });

  test('localhost names on our port are accepted', async () => {
    for (const host of [`localhost:${server.port}`, `127.0.0.1:${server.port}`]) {
      const opened = await openSocket(wsUrl(server.token), { Host: host, Origin: `http://${host}` });
      assert.ok('ws' in opened, host);
      opened.ws.close();
    }
  });

  test('other paths do not upgrade', async () => {
    assert.deepEqual(await openSocket(wsUrl(server.token, '/other')), { refused: 404 });
  });

  test('close() ends open connections', async () => {
    const extra = await startServer({ api: trainer, subscribe: trainer.subscribe, staticDir: fixture.root });
    const opened = await openSocket(`ws://127.0.0.1:${extra.port}/api?token=${extra.token}`);
    assert.ok('ws' in opened);
    const closed = new Promise((r) => opened.ws.once('close', r));
    await extra.close();
    await closed;
  });
});

describe('static files', () => {
  test('/ serves index.html with security headers', async () => {
    const res = await rawGet(server.port, '/');
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.equal(res.headers['referrer-policy'], 'no-referrer');
    assert.match(String(res.headers['content-security-policy']), /default-src 'self'/);
    assert.match(res.body, /<title>dtrain<\/title>/);
    assert.equal((await rawGet(server.port, `/?token=${server.token}`)).status, 200);
  });

  test('MIME types follow the extension', async () => {
    const expected: Record<string, string> = {
      '/index.html': 'text/html; charset=utf-8',
      '/assets/app.js': 'text/javascript; charset=utf-8',
      '/assets/app.css': 'text/css; charset=utf-8',
      '/assets/kernel.wasm': 'application/wasm',
      '/assets/icon.svg': 'image/svg+xml',
      '/assets/blob.xyz': 'application/octet-stream',
    };
    for (const [path, type] of Object.entries(expected)) {
      const res = await rawGet(server.port, path);
      assert.equal(res.status, 200, path);
      assert.equal(res.headers['content-type'], type, path);
    }
  });

  test('missing files and directories are 404', async () => {
    for (const path of ['/nope.js', '/assets', '/assets/', '/assets/nope.css']) {
      assert.equal((await rawGet(server.port, path)).status, 404, path);
    }
  });

  test('no path escapes the folder (dot-dot, encoded, backslash, NUL, symlink)', async () => {
    const attempts = [
      '/../secret.txt',
      '/assets/../../secret.txt',
      '/%2e%2e/secret.txt',
      '/%2e%2e%2fsecret.txt',
      '/..%2fsecret.txt',
      '/assets/%2e%2e/%2e%2e/secret.txt',
      '/..%5csecret.txt',
      '/%2e%2e%5csecret.txt',
      '/index.html%00.js',
      '/assets/link.txt',
      `/${'../'.repeat(8)}etc/passwd`,
      '/%E0%A4%A',
      fixture.secret,
    ];
    for (const path of attempts) {
      const res = await rawGet(server.port, path);
      assert.ok([400, 403, 404].includes(res.status), `${path} → ${res.status}`);
      assert.doesNotMatch(res.body, /TOP-SECRET|root:/, path);
    }
  });

  test('only GET and HEAD are allowed', async () => {
    assert.equal((await rawGet(server.port, '/', {}, 'POST')).status, 405);
    const head = await rawGet(server.port, '/assets/app.js', {}, 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
  });

  test('a foreign Host header is refused (DNS rebinding)', async () => {
    assert.equal((await rawGet(server.port, '/', { Host: `evil.example:${server.port}` })).status, 403);
    assert.equal((await rawGet(server.port, '/', { Host: `localhost:${server.port + 1}` })).status, 403);
    assert.equal((await rawGet(server.port, '/', { Host: `localhost:${server.port}` })).status, 200);
  });

  test('a wrong token gets the same help as a missing one; the right token is accepted', async () => {
    const missing = await rawGet(server.port, '/api/access');
    assert.equal(missing.status, 401);
    assert.equal(missing.body, `${TOKEN_HELP}\n`);
    for (const token of ['', 'wrong', `${server.token}x`, server.token.slice(0, -1) + (server.token.endsWith('A') ? 'B' : 'A')]) {
      const wrong = await rawGet(server.port, `/api/access?token=${encodeURIComponent(token)}`);
      assert.deepEqual(
        { status: wrong.status, body: wrong.body },
        { status: missing.status, body: missing.body },
        `token '${token}'`,
      );
    }
    const right = await rawGet(server.port, `/api/access?token=${encodeURIComponent(server.token)}`);
    assert.equal(right.status, 204);
    assert.equal(
      (await rawGet(server.port, `/api/access?token=${server.token}`, { Host: `evil.example:${server.port}` })).status,
      403,
    );
  });
});
