/**
 * The engine's upgrade hook: a taken socket leaves the HTTP machinery (no parsing, no
 * timeouts) yet still counts against --max-connections and is closed by a graceful
 * shutdown; declined upgrades (h2c) are answered as plain HTTP/1.1.
 */
import assert from 'node:assert/strict';
import net, { type Socket } from 'node:net';
import { describe, test } from 'node:test';
import type { HttpServerOptions } from '../../src/server/server.js';
import type { UpgradeHook } from '../../src/server/upgrade.js';
import { parseResponses, sendRaw } from './helpers/raw-client.js';
import { startTestServer } from './helpers/test-app.js';
import { closed } from './helpers/tls-client.js';

const UPGRADE = 'GET /ping HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive, Upgrade\r\nUpgrade: x-echo\r\n\r\n';
const SWITCHED = 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: x-echo\r\nConnection: Upgrade\r\n\r\n';

/** Takes `Upgrade: x-echo`: answers 101, then echoes every byte (the head's first). */
function echoHook(calls: string[]): UpgradeHook {
  return (req, socket, head) => {
    calls.push(req.headers.get('upgrade') ?? '');
    if (req.headers.get('upgrade') !== 'x-echo') return false;
    socket.write(SWITCHED);
    if (head.length > 0) socket.write(head);
    socket.on('data', (d: Buffer) => socket.write(d));
    socket.on('end', () => socket.end());
    return true;
  };
}

/** Connects, writes `first`, and collects what arrives. */
async function open(port: number, first: string): Promise<{ socket: Socket; received: () => string }> {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => {});
  let got = '';
  socket.on('data', (d: Buffer) => {
    got += d.toString('latin1');
  });
  await new Promise((r) => socket.once('connect', r));
  socket.write(first);
  return { socket, received: () => got };
}

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

async function waitFor(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function withServer(
  options: HttpServerOptions,
  fn: (port: number, srv: Awaited<ReturnType<typeof startTestServer>>['server']) => Promise<void>,
) {
  const { server, port } = await startTestServer(options);
  try {
    await fn(port, server);
  } finally {
    await server.close();
  }
}

describe('upgrade hook', () => {
  test("a taken socket gets the bytes after the head, then is the taker's: no HTTP timeouts apply", async () => {
    const calls: string[] = [];
    await withServer({ upgrade: echoHook(calls), keepAliveTimeoutMs: 100, headerTimeoutMs: 100 }, async (port, server) => {
      const c = await open(port, `${UPGRADE}hello`);
      await waitFor(() => c.received() === `${SWITCHED}hello`);
      assert.equal(server.upgradedCount, 1);
      assert.equal(server.connectionCount, 1);
      // Well past the keep-alive and header timeouts, and bytes that are not HTTP: still echoed.
      await new Promise((r) => setTimeout(r, 400));
      c.socket.write('\x00 not http \r\n\r\n');
      await waitFor(() => c.received().endsWith('\x00 not http \r\n\r\n'));
      assert.equal(c.socket.destroyed, false);
      c.socket.destroy();
      await waitFor(() => server.upgradedCount === 0 && server.connectionCount === 0);
    });
    assert.deepEqual(calls, ['x-echo']);
  });

  test('h2c (declined) and requests that only half ask are answered as HTTP/1.1, on a connection that goes on', async () => {
    const calls: string[] = [];
    await withServer({ upgrade: echoHook(calls) }, async (port, server) => {
      const h2c =
        'GET /ping HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n';
      const onlyUpgrade = 'GET /ping HTTP/1.1\r\nHost: localhost\r\nUpgrade: x-echo\r\n\r\n';
      const notInConnection = 'GET /ping HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive, x-upgrade\r\nUpgrade: x-echo\r\n\r\n';
      const withBody = 'POST /echo HTTP/1.1\r\nHost: localhost\r\nConnection: upgrade\r\nUpgrade: x-echo\r\nContent-Length: 2\r\n\r\nhi';
      const http10 = 'GET /ping HTTP/1.0\r\nConnection: upgrade\r\nUpgrade: x-echo\r\n\r\n';
      const r = await sendRaw(port, [h2c, onlyUpgrade, notInConnection, withBody, http10]);
      assert.deepEqual(
        r.responses.map((x) => x.status),
        [200, 200, 200, 200, 200],
      );
      assert.equal(r.responses[3].body.toString(), 'hi');
      assert.deepEqual(calls, ['h2c'], 'only the request asking with Connection: upgrade, HTTP/1.1 and no body is offered');
      assert.equal(server.upgradedCount, 0);
    });
  });

  test('answers to requests pipelined before the upgrade go out before the 101', async () => {
    await withServer({ upgrade: echoHook([]) }, async (port) => {
      const ping = 'GET /ping HTTP/1.1\r\nHost: localhost\r\n\r\n';
      const c = await open(port, `${ping}${ping}${UPGRADE}tail`);
      await waitFor(() => c.received().endsWith('tail'));
      const text = c.received();
      const { responses, rest } = parseResponses(Buffer.from(text.slice(0, text.indexOf('HTTP/1.1 101')), 'latin1'));
      assert.equal(responses.length, 2);
      assert.equal(rest.length, 0);
      assert.ok(text.endsWith(`${SWITCHED}tail`));
      c.socket.destroy();
    });
  });

  test('taken sockets count against --max-connections', async () => {
    await withServer({ upgrade: echoHook([]), maxConnections: 1 }, async (port, server) => {
      const c = await open(port, UPGRADE);
      await waitFor(() => c.received() === SWITCHED);
      const refused = await sendRaw(port, ['GET /ping HTTP/1.1\r\nHost: localhost\r\n\r\n']);
      assert.equal(refused.responses[0]?.status, 503);
      assert.equal(server.connectionsRefused, 1);
      c.socket.destroy();
      await waitFor(() => server.connectionCount === 0);
      const ok = await sendRaw(port, ['GET /ping HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n']);
      assert.equal(ok.responses[0]?.status, 200);
    });
  });

  test('graceful shutdown closes a taken socket its taker never closes, at --shutdown-timeout', { timeout: 15_000 }, async () => {
    const { server, port } = await startTestServer({ upgrade: echoHook([]), shutdownTimeoutMs: 300 });
    const c = await open(port, UPGRADE);
    await waitFor(() => c.received() === SWITCHED);
    const started = Date.now();
    try {
      await within(Promise.all([server.close(), closed(c.socket)]), 5000, 'the shutdown to close the taken socket');
    } finally {
      c.socket.destroy();
    }
    assert.ok(Date.now() - started >= 250, 'kept until the shutdown timeout');
    assert.equal(server.upgradedCount, 0);
  });

  test('an upgrade that arrives during a graceful shutdown is not taken', async () => {
    const calls: string[] = [];
    const { server, port } = await startTestServer({ upgrade: echoHook(calls), shutdownTimeoutMs: 2000 });
    // A request in flight keeps its connection through the start of the shutdown.
    const c = await open(port, 'GET /slow?ms=200 HTTP/1.1\r\nHost: localhost\r\n\r\n');
    await new Promise((r) => setTimeout(r, 50));
    const closing = server.close();
    c.socket.write(UPGRADE);
    await closing;
    await closed(c.socket);
    assert.deepEqual(calls, []);
    assert.ok(c.received().startsWith('HTTP/1.1 200'));
  });
});
