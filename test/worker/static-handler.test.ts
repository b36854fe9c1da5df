/**
 * The static handler end to end, over a real socket on port 0, with raw request bytes so
 * that traversal paths reach the server exactly as written (clients would normalise them).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createHttpServer, type HttpServer } from '../../src/server/server.js';
import { createStaticHandler } from '../../src/worker/static/index.js';

const SECRET = 'TOP-SECRET-OUTSIDE-THE-ROOT';

interface RawResponse {
  status: number;
  headers: Map<string, string>;
  body: Buffer;
}

/** Sends one request on a fresh connection and reads the response until the server closes. */
function request(port: number, target: string, headers: Record<string, string> = {}, method = 'GET'): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let head = `${method} ${target} HTTP/1.1\r\nHost: ${headers.host ?? 'localhost'}\r\nConnection: close\r\n`;
    for (const [k, v] of Object.entries(headers)) if (k !== 'host') head += `${k}: ${v}\r\n`;
    socket.on('error', reject);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', () => {
      const all = Buffer.concat(chunks);
      const sep = all.indexOf('\r\n\r\n');
      if (sep < 0) return reject(new Error(`no response head: ${all.toString('latin1')}`));
      const lines = all.subarray(0, sep).toString('latin1').split('\r\n');
      const map = new Map<string, string>();
      for (const line of lines.slice(1)) {
        const i = line.indexOf(':');
        map.set(line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim());
      }
      resolve({ status: Number(lines[0].split(' ')[1]), headers: map, body: all.subarray(sep + 4) });
    });
    // write, not end: the engine treats a half-close as the client going away.
    socket.write(`${head}\r\n`);
  });
}

describe('static handler over a real socket', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'dhttp-static-e2e-'));
  const root = path.join(tmp, 'www');
  const big = Buffer.alloc(1024 * 1024 + 17);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7 + (i >> 9)) & 0xff;
  let server: HttpServer;
  let port: number;

  before(async () => {
    await fs.mkdir(path.join(root, 'docs'), { recursive: true });
    await fs.mkdir(path.join(root, 'site.example'));
    await fs.writeFile(path.join(root, 'index.html'), '<h1>home</h1>');
    await fs.writeFile(path.join(root, 'hello.txt'), 'hello, world\n');
    await fs.writeFile(path.join(root, 'app.js'), 'export {}');
    await fs.writeFile(path.join(root, 'blob.weird'), 'x');
    await fs.writeFile(path.join(root, 'big.bin'), big);
    await fs.writeFile(path.join(root, 'docs', 'index.html'), 'docs');
    await fs.writeFile(path.join(root, 'site.example', 'index.html'), 'vhost site');
    await fs.writeFile(path.join(root, '.secret'), SECRET);
    await fs.writeFile(path.join(tmp, 'secret.txt'), SECRET);
    await fs.symlink(path.join(tmp, 'secret.txt'), path.join(root, 'escape'));
    // Small cache budget so big.bin is always streamed.
    server = createHttpServer({}, createStaticHandler({ root, maxCachedFileBytes: 64 * 1024 }));
    port = (await server.listen(0, '127.0.0.1')).port;
  });
  after(async () => {
    await server.close();
    await fs.rm(tmp, { recursive: true, force: true });
  });

  it('serves a file with type, validators and length', async () => {
    const r = await request(port, '/hello.txt');
    assert.equal(r.status, 200);
    assert.equal(r.body.toString(), 'hello, world\n');
    assert.equal(r.headers.get('content-type'), 'text/plain; charset=utf-8');
    assert.equal(r.headers.get('content-length'), '13');
    assert.equal(r.headers.get('accept-ranges'), 'bytes');
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(r.headers.get('cache-control'), 'public, max-age=0');
    assert.match(r.headers.get('etag') ?? '', /^"[0-9a-f]+-[0-9a-f]+"$/);
    assert.ok(r.headers.has('last-modified'));
    assert.equal((await request(port, '/app.js')).headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.equal((await request(port, '/blob.weird')).headers.get('content-type'), 'application/octet-stream');
  });

  it('index.html, 301 for a directory without slash, vhost', async () => {
    assert.equal((await request(port, '/')).body.toString(), '<h1>home</h1>');
    const redirect = await request(port, '/docs?x=1');
    assert.equal(redirect.status, 301);
    assert.equal(redirect.headers.get('location'), '/docs/?x=1');
    assert.equal((await request(port, '/docs/')).body.toString(), 'docs');
    assert.equal((await request(port, '/', { host: 'site.example' })).body.toString(), 'vhost site');
    assert.equal((await request(port, '/', { host: 'SITE.example:8080' })).body.toString(), 'vhost site');
    assert.equal((await request(port, '/', { host: 'other.example' })).body.toString(), '<h1>home</h1>');
  });

  it('304 for If-None-Match and If-Modified-Since', async () => {
    const first = await request(port, '/hello.txt');
    const etag = first.headers.get('etag') ?? '';
    const lm = first.headers.get('last-modified') ?? '';
    const a = await request(port, '/hello.txt', { 'if-none-match': `"zzz", W/${etag}` });
    assert.equal(a.status, 304);
    assert.equal(a.body.length, 0);
    assert.equal(a.headers.get('etag'), etag);
    assert.equal((await request(port, '/hello.txt', { 'if-modified-since': lm })).status, 304);
    assert.equal((await request(port, '/hello.txt', { 'if-none-match': '"zzz"', 'if-modified-since': lm })).status, 200);
  });

  it('206 for a single range, from cache and from disk', async () => {
    const small = await request(port, '/hello.txt', { range: 'bytes=0-4' });
    assert.equal(small.status, 206);
    assert.equal(small.body.toString(), 'hello');
    assert.equal(small.headers.get('content-range'), 'bytes 0-4/13');
    const r = await request(port, '/big.bin', { range: 'bytes=1000-200999' });
    assert.equal(r.status, 206);
    assert.equal(r.headers.get('content-length'), '200000');
    assert.equal(r.headers.get('content-range'), `bytes 1000-200999/${big.length}`);
    assert.ok(r.body.equals(big.subarray(1000, 201000)));
    const tail = await request(port, '/big.bin', { range: 'bytes=-10' });
    assert.ok(tail.body.equals(big.subarray(big.length - 10)));
    const multi = await request(port, '/hello.txt', { range: 'bytes=0-1,3-4' });
    assert.equal(multi.status, 200);
    assert.equal(multi.body.toString(), 'hello, world\n');
  });

  it('If-Range: a stale validator gets the whole file', async () => {
    const etag = (await request(port, '/hello.txt')).headers.get('etag') ?? '';
    assert.equal((await request(port, '/hello.txt', { range: 'bytes=0-0', 'if-range': etag })).status, 206);
    assert.equal((await request(port, '/hello.txt', { range: 'bytes=0-0', 'if-range': '"stale"' })).status, 200);
  });

  it('416 with Content-Range for an unsatisfiable range', async () => {
    const r = await request(port, '/hello.txt', { range: 'bytes=13-' });
    assert.equal(r.status, 416);
    assert.equal(r.headers.get('content-range'), 'bytes */13');
    assert.equal(JSON.parse(r.body.toString()).error.code, 'RANGE_NOT_SATISFIABLE');
  });

  it('streams a large file whole', async () => {
    const r = await request(port, '/big.bin');
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-length'), String(big.length));
    assert.ok(r.body.equals(big));
  });

  it('HEAD: same headers, no body', async () => {
    const r = await request(port, '/big.bin', {}, 'HEAD');
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-length'), String(big.length));
    assert.equal(r.body.length, 0);
    const s = await request(port, '/hello.txt', {}, 'HEAD');
    assert.equal(s.headers.get('content-length'), '13');
    assert.equal(s.body.length, 0);
  });

  it('sees edits (cache validated by stat)', async () => {
    await fs.writeFile(path.join(root, 'edit.txt'), 'v1');
    assert.equal((await request(port, '/edit.txt')).body.toString(), 'v1');
    await fs.writeFile(path.join(root, 'edit.txt'), 'version 2');
    assert.equal((await request(port, '/edit.txt')).body.toString(), 'version 2');
  });

  it('405 for other methods', async () => {
    const r = await request(port, '/hello.txt', { 'content-length': '0' }, 'DELETE');
    assert.equal(r.status, 405);
    assert.equal(r.headers.get('allow'), 'GET, HEAD');
  });

  const traversal = [
    '/../secret.txt',
    '/..%2fsecret.txt',
    '/%2e%2e/secret.txt',
    '/%2e%2e%2fsecret.txt',
    '/..\\secret.txt',
    '/..%5csecret.txt',
    '/secret.txt%00',
    '/docs/../../secret.txt',
    '/....//secret.txt',
    '/%252e%252e/secret.txt',
    '/%c0%ae%c0%ae/secret.txt',
    `/${tmp}/secret.txt`,
    '/escape',
    '/.secret',
    '/%2esecret',
    '//../secret.txt',
    `http://localhost/../secret.txt`,
  ];
  for (const target of traversal) {
    it(`never leaks through ${JSON.stringify(target)}`, async () => {
      const r = await request(port, target);
      assert.ok([400, 403, 404].includes(r.status), `status ${r.status}`);
      assert.ok(!r.body.toString('latin1').includes(SECRET));
    });
  }
});
