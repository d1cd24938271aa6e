/**
 * The web page's reconnect policy: a dropped connection is retried, but a connection the server
 * refuses for its token stops the loop and reports the server's message once.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createWebSocketApi, type AccessAnswer, type ConnectionState, type SocketLike } from '../../src/renderer/src/ws-api';
import { settled } from '../../src/core/async/observed';

class FakeSocket implements SocketLike {
  onopen: (() => void) | null = null;
  onmessage: ((e: { data: unknown }) => void) | null = null;
  onclose: (() => void) | null = null;
  sent: string[] = [];
  send(text: string): void {
    this.sent.push(text);
  }
}

/** A page's connection with every timer and socket under the test's control. */
function harness(access: AccessAnswer) {
  const sockets: FakeSocket[] = [];
  const timers: { fn: () => void; ms: number }[] = [];
  const states: ConnectionState[] = [];
  const refusals: string[] = [];
  let checks = 0;
  const api = createWebSocketApi({
    url: 'ws://test/api?token=t',
    onState: (s) => states.push(s),
    onReconnect: () => {},
    onRefused: (m) => refusals.push(m),
    checkAccess: async () => {
      checks++;
      return access;
    },
    openSocket: () => {
      const s = new FakeSocket();
      sockets.push(s);
      return s;
    },
    schedule: (fn, ms) => timers.push({ fn, ms }),
  });
  const settle = () => new Promise((r) => setImmediate(r));
  return { api, sockets, timers, states, refusals, checks: () => checks, settle };
}

test('a refused token stops reconnecting and reports the message once', async () => {
  const h = harness({ kind: 'refused', message: 'needs the address printed by dtrain serve' });
  const pending = assert.rejects(h.api.listRuns(), /Connection to the trainer lost/);
  h.sockets[0].onclose!(); // the handshake is refused: the socket closes without opening
  await h.settle();
  await pending;
  assert.equal(h.checks(), 1);
  assert.deepEqual(h.refusals, ['needs the address printed by dtrain serve']);
  assert.equal(h.timers.length, 0, 'no reconnect is scheduled');
  assert.equal(h.sockets.length, 1);
  assert.equal(h.states.at(-1), 'refused');
  await assert.rejects(h.api.listRuns(), /no valid token/);
});

test('a connection that never opened while the server is unreachable keeps retrying with backoff', async () => {
  const h = harness({ kind: 'unknown' });
  for (let attempt = 0; attempt < 4; attempt++) {
    h.sockets[attempt].onclose!();
    await h.settle();
    assert.equal(h.timers.length, attempt + 1);
    h.timers[attempt].fn();
  }
  assert.deepEqual(
    h.timers.map((t) => t.ms),
    [500, 1000, 2000, 4000],
  );
  assert.equal(h.sockets.length, 5);
  assert.deepEqual(h.refusals, []);
});

test('a dropped connection reconnects without asking about the token, and sends again once open', async () => {
  const h = harness({ kind: 'refused', message: 'never asked' });
  h.sockets[0].onopen!();
  h.sockets[0].onclose!(); // the server restarted or the network dropped
  await h.settle();
  assert.equal(h.checks(), 0);
  assert.equal(h.timers.length, 1);
  h.timers[0].fn();
  assert.equal(h.sockets.length, 2);
  void settled(h.api.listRuns()); // never answered: this test looks at what was sent
  h.sockets[1].onopen!();
  assert.equal(h.sockets[1].sent.length, 1, 'the call queued while reconnecting is sent');
  assert.match(h.sockets[1].sent[0], /"method":"listRuns"/);
  assert.deepEqual(h.refusals, []);
});
