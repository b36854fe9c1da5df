/**
 * HttpServer.listenPath(): a Unix-domain listener next to TCP, sharing one connection set
 * (one --max-connections cap, one graceful shutdown); stale socket files are replaced,
 * live ones and other files are refused, and close() removes only the file it bound.
 */
import assert from 'node:assert/strict';
import { statSync, writeFileSync, readFileSync, existsSync, lstatSync, renameSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SocketPathError } from '../../src/server/server.js';
import { startTestServer } from './helpers/test-app.js';
import { get, tempDir } from '../helpers/unix-socket.js';

/** A socket file nobody listens on, as a SIGKILLed process leaves it. */
async function staleSocket(path: string): Promise<void> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(path, r));
  // libuv unlinks a pipe's bind name when it closes it: move the file away meanwhile.
  const aside = `${path}.aside`;
  renameSync(path, aside);
  await new Promise<void>((r) => s.close(() => r()));
  renameSync(aside, path);
  assert.ok(lstatSync(path).isSocket());
}

describe('HttpServer.listenPath', () => {
  it('serves the same app over the socket and TCP; mode 0600; close() unlinks', async (t) => {
    const path = join(tempDir(t), 'w.sock');
    const { server, port } = await startTestServer();
    await server.listenPath(path);
    assert.equal(server.socketPath, path);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    const viaUnix = await get({ socketPath: path, path: '/reverse?text=abc' });
    assert.equal(viaUnix.status, 200);
    assert.deepEqual(JSON.parse(viaUnix.body), { text: 'abc', result: 'cba' });
    const viaTcp = await get({ host: '127.0.0.1', port, path: '/ping' });
    assert.equal(viaTcp.status, 200);
    await server.close();
    assert.equal(existsSync(path), false);
  });

  it('one connection cap across both listeners', async (t) => {
    const path = join(tempDir(t), 'cap.sock');
    const { server, port } = await startTestServer({ maxConnections: 1 });
    t.after(() => server.close());
    await server.listenPath(path);
    const held = net.connect({ host: '127.0.0.1', port });
    await new Promise<void>((r) => held.once('connect', () => r()));
    // The accept happens a tick after connect; wait until the server counts it.
    while (server.connectionCount < 1) await new Promise((r) => setTimeout(r, 5));
    const refused = await get({ socketPath: path, path: '/ping' });
    assert.equal(refused.status, 503);
    held.destroy();
    while (server.connectionCount > 0) await new Promise((r) => setTimeout(r, 5));
    assert.equal((await get({ socketPath: path, path: '/ping' })).status, 200);
  });

  it('graceful close lets an in-flight request on the socket finish', async (t) => {
    const path = join(tempDir(t), 'drain.sock');
    const { server } = await startTestServer();
    await server.listenPath(path);
    const pending = get({ socketPath: path, path: '/slow?ms=300' });
    while (server.connectionCount < 1) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 50));
    const closing = server.close();
    // Stopped listening at once: the file is gone before the drain ends.
    assert.equal(existsSync(path), false);
    const res = await pending;
    assert.equal(res.status, 200);
    await closing;
  });

  it('replaces a stale socket file', async (t) => {
    const path = join(tempDir(t), 'stale.sock');
    await staleSocket(path);
    const { server } = await startTestServer();
    t.after(() => server.close());
    await server.listenPath(path);
    assert.equal((await get({ socketPath: path, path: '/ping' })).status, 200);
  });

  it('refuses a live socket, a regular file and a directory, leaving them alone', async (t) => {
    const dir = tempDir(t);
    const { server } = await startTestServer();
    t.after(() => server.close());

    const live = join(dir, 'live.sock');
    const other = net.createServer((s) => s.destroy());
    await new Promise<void>((r) => other.listen(live, r));
    t.after(() => new Promise<void>((r) => other.close(() => r())));
    await assert.rejects(
      server.listenPath(live),
      (err: unknown) => err instanceof SocketPathError && /another process is listening/.test(err.message),
    );
    assert.ok(lstatSync(live).isSocket());

    const file = join(dir, 'file');
    writeFileSync(file, 'keep me');
    await assert.rejects(server.listenPath(file), (err: unknown) => err instanceof SocketPathError && /not a socket/.test(err.reason));
    assert.equal(readFileSync(file, 'utf8'), 'keep me');

    await assert.rejects(server.listenPath(dir), /not a socket/);
    assert.ok(statSync(dir).isDirectory());
  });

  it('a missing directory is a one-line error', async (t) => {
    const { server } = await startTestServer();
    t.after(() => server.close());
    await assert.rejects(server.listenPath(join(tempDir(t), 'no', 'such.sock')), /directory does not exist/);
  });

  it('refuses relative and too-long paths', async () => {
    const { server } = await startTestServer();
    try {
      await assert.rejects(server.listenPath('w.sock'), /must be an absolute path/);
      await assert.rejects(server.listenPath(`/tmp/${'x'.repeat(100)}`), /at most 100 allowed|bytes long/);
    } finally {
      await server.close();
    }
  });

  it('close() does not unlink a socket a successor bound at the same path', async (t) => {
    const path = join(tempDir(t), 'succ.sock');
    const first = await startTestServer();
    await first.server.listenPath(path);
    // The successor finds the first's file; simulate the first having stopped accepting
    // by moving its file away, then the successor binds the path.
    renameSync(path, `${path}.old`);
    const second = await startTestServer();
    t.after(() => second.server.close());
    await second.server.listenPath(path);
    await first.server.close();
    assert.ok(lstatSync(path).isSocket(), "the successor's socket survives");
    assert.equal((await get({ socketPath: path, path: '/ping' })).status, 200);
  });
});
