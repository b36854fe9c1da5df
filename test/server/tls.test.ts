/**
 * The engine's TLS listener: HTTPS with ALPN http/1.1 and a protocol floor, the engine's
 * limits behind it, every connection path bounded (handshakes that never finish, the
 * connection cap, graceful shutdown), certificate reload, and the HTTP → HTTPS redirect.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createHttpServer, type HttpServer, type HttpServerOptions } from '../../src/server/server.js';
import { type TlsFiles, loadTlsPairSync } from '../../src/server/tls-credentials.js';
import { makeTestCerts, type TestCerts, type TestPair } from '../helpers/tls-certs.js';
import { sendRaw } from './helpers/raw-client.js';
import { startTestServer } from './helpers/test-app.js';
import { closed, exchange, tlsConnect } from './helpers/tls-client.js';

const GET = (path: string, extra = ''): string => `GET ${path} HTTP/1.1\r\nHost: localhost\r\n${extra}\r\n`;

let certs: TestCerts;
before(() => {
  certs = makeTestCerts();
});
after(() => certs.remove());

function tlsOf(pair: TestPair, minVersion: TlsFiles['minVersion'] = 'TLSv1.2'): NonNullable<HttpServerOptions['tls']> {
  const files = { certFile: pair.cert, keyFile: pair.key, minVersion };
  return { files, pair: loadTlsPairSync(files) };
}

async function withServer(options: HttpServerOptions, fn: (server: HttpServer, port: number) => Promise<void>): Promise<void> {
  const { server, port } = await startTestServer(options);
  try {
    await fn(server, port);
  } finally {
    await server.close();
  }
}

describe('HTTPS on the engine', () => {
  test('ALPN http/1.1, the chain served, the engine and its limits behind TLS', async () => {
    await withServer({ tls: tlsOf(certs.a), maxUriBytes: 100 }, async (server, port) => {
      assert.equal(server.scheme, 'https');
      const s = await tlsConnect(port, { ca: certs.ca, ALPNProtocols: ['h2', 'http/1.1'] });
      assert.equal(s.alpnProtocol, 'http/1.1');
      assert.equal(s.authorized, true, 'the leaf verifies against the CA: the chain file is served');
      assert.equal(s.getPeerCertificate().fingerprint256, certs.a.fingerprint);
      const r = await exchange(s, GET('/reverse?text=abc'));
      assert.equal(r.status, 200);
      assert.deepEqual(JSON.parse(r.body.toString()), { text: 'abc', result: 'cba' });
      // Same connection (keep-alive), a limit of the engine: 414 then close.
      const long = await exchange(s, GET(`/reverse?text=${'a'.repeat(100)}`));
      assert.equal(long.status, 414);
      await closed(s);
    });
  });

  test('--tls-min-version: a TLS 1.3 floor refuses a TLS 1.2 client; the default floor accepts it', async () => {
    await withServer({ tls: tlsOf(certs.a, 'TLSv1.3') }, async (_server, port) => {
      await assert.rejects(tlsConnect(port, { ca: certs.ca, maxVersion: 'TLSv1.2' }));
      const s = await tlsConnect(port, { ca: certs.ca });
      assert.equal(s.getProtocol(), 'TLSv1.3');
      s.destroy();
    });
    await withServer({ tls: tlsOf(certs.a) }, async (_server, port) => {
      const s = await tlsConnect(port, { ca: certs.ca, maxVersion: 'TLSv1.2' });
      assert.equal(s.getProtocol(), 'TLSv1.2');
      assert.equal((await exchange(s, GET('/ping'))).status, 200);
      s.destroy();
    });
  });

  test('a handshake that never completes is closed at the header timeout', async () => {
    await withServer({ tls: tlsOf(certs.a), headerTimeoutMs: 300 }, async (server, port) => {
      const silent = net.connect(port, '127.0.0.1');
      // A ClientHello cut short: a record header announcing 512 bytes, then 5 of them.
      const partial = net.connect(port, '127.0.0.1', () => partial.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 1, 0, 1, 0xfc, 3])));
      for (const s of [silent, partial]) s.on('error', () => {});
      // Closed by the 300 ms deadline, not by Node's default of 120 s.
      await within(Promise.all([closed(silent), closed(partial)]), 5000, 'the stalled handshakes to be closed');
      assert.equal(server.failedHandshakes, 2);
      // Bytes that are not TLS at all fail the handshake at once.
      const plain = await sendRaw(port, [GET('/ping')]);
      assert.equal(plain.responses.length, 0);
      assert.ok(plain.closed);
      assert.equal(server.failedHandshakes, 3);
    });
  });

  test('sockets mid-handshake count against --max-connections', async () => {
    await withServer({ tls: tlsOf(certs.a), maxConnections: 2 }, async (server, port) => {
      const held = [net.connect(port, '127.0.0.1'), net.connect(port, '127.0.0.1')];
      for (const s of held) s.on('error', () => {});
      await Promise.all(held.map((s) => new Promise((r) => s.once('connect', r))));
      await waitFor(() => server.connectionCount === 2);
      await assert.rejects(tlsConnect(port, { ca: certs.ca }));
      assert.equal(server.connectionsRefused, 1);
      for (const s of held) s.destroy();
      await waitFor(() => server.connectionCount === 0);
      const s = await tlsConnect(port, { ca: certs.ca });
      assert.equal((await exchange(s, GET('/ping'))).status, 200);
      s.destroy();
    });
  });

  test('graceful shutdown: the request in flight finishes, idle and handshaking sockets close', async () => {
    const { server, port } = await startTestServer({ tls: tlsOf(certs.a), shutdownTimeoutMs: 3000 });
    const idle = await tlsConnect(port, { ca: certs.ca });
    const busy = await tlsConnect(port, { ca: certs.ca });
    const handshaking = net.connect(port, '127.0.0.1');
    handshaking.on('error', () => {});
    await waitFor(() => server.connectionCount === 3);
    const slow = exchange(busy, GET('/slow?ms=300'));
    await new Promise((r) => setTimeout(r, 50));
    const closing = server.close();
    assert.equal((await slow).status, 200);
    await Promise.all([closed(idle), closed(busy), closed(handshaking), closing]);
    assert.equal(server.connectionCount, 0);
  });
});

describe('certificate reload', () => {
  test('new handshakes get the new pair while an open keep-alive connection keeps working; a bad pair is refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dhttp-reload-'));
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    copyFileSync(certs.a.cert, cert);
    copyFileSync(certs.a.key, key);
    const files = { certFile: cert, keyFile: key, minVersion: 'TLSv1.2' as const };
    try {
      await withServer({ tls: { files, pair: loadTlsPairSync(files) } }, async (server, port) => {
        const old = await tlsConnect(port, { ca: certs.ca });
        assert.equal(old.getPeerCertificate().fingerprint256, certs.a.fingerprint);
        assert.equal((await exchange(old, GET('/ping'))).status, 200);

        copyFileSync(certs.b.cert, cert);
        copyFileSync(certs.b.key, key);
        const pair = await server.reloadTls();
        assert.equal(pair.fingerprint, certs.b.fingerprint);
        assert.equal(server.tlsFingerprint, certs.b.fingerprint);
        const fresh = await tlsConnect(port, { ca: certs.ca });
        assert.equal(fresh.getPeerCertificate().fingerprint256, certs.b.fingerprint);
        assert.equal((await exchange(old, GET('/ping'))).status, 200, 'the old connection still serves');
        assert.equal(old.getPeerCertificate().fingerprint256, certs.a.fingerprint);

        // B's certificate with A's key: refused, B stays.
        copyFileSync(certs.a.key, key);
        await assert.rejects(server.reloadTls(), (err: Error) => {
          assert.match(err.message, /^invalid --tls-key ".*key\.pem": does not match the certificate in ".*cert\.pem"$/);
          return true;
        });
        const after = await tlsConnect(port, { ca: certs.ca });
        assert.equal(after.getPeerCertificate().fingerprint256, certs.b.fingerprint);
        // An unreadable file: refused too.
        rmSync(cert);
        await assert.rejects(server.reloadTls(), /^TlsFilesError: invalid --tls-cert ".*cert\.pem": ENOENT/);
        assert.equal((await exchange(after, GET('/ping'))).status, 200);
        for (const s of [old, fresh, after]) s.destroy();
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('--redirect-http', () => {
  test('308 to https://<host>:<tls port><target>, for any method; no Host, no redirect', async () => {
    await withServer({ tls: tlsOf(certs.a), redirectHttpPort: 0 }, async (server, port) => {
      const rport = server.redirectAddress?.port as number;
      assert.ok(rport > 0);
      const r = await sendRaw(rport, [`GET /a/b%20c?x=1&y HTTP/1.1\r\nHost: Example.COM:8080\r\nConnection: close\r\n\r\n`]);
      assert.equal(r.responses[0].status, 308);
      assert.equal(r.responses[0].headers.location, `https://example.com:${port}/a/b%20c?x=1&y`);
      const post = await sendRaw(rport, [`POST /countwords HTTP/1.1\r\nHost: [::1]:80\r\nContent-Length: 3\r\n\r\nabc`], {
        responses: 1,
      });
      assert.equal(post.responses[0].status, 308);
      assert.equal(post.responses[0].headers.location, `https://[::1]:${port}/countwords`);
      const noHost = await sendRaw(rport, ['GET / HTTP/1.0\r\n\r\n']);
      assert.equal(noHost.responses[0].status, 400);
      const badHost = await sendRaw(rport, ['GET / HTTP/1.1\r\nHost: a b\r\n\r\n']);
      assert.equal(badHost.responses[0].status, 400);
    });
  });

  test('a redirect port in use fails listen() and leaves nothing listening', async () => {
    const busy = net.createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const taken = (busy.address() as net.AddressInfo).port;
    const server = createHttpServer({ tls: tlsOf(certs.a), redirectHttpPort: taken }, (_req, res) => res.json(200, {}));
    try {
      await assert.rejects(server.listen(0, '127.0.0.1'), /EADDRINUSE/);
      assert.equal(server.closing, true);
    } finally {
      busy.close();
    }
  });
});

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
