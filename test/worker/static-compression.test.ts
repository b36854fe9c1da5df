/**
 * Compressed static files over a real socket: small (cached) and large (streamed) files
 * decoded byte-exact with brotli and gzip, entity tags and 304 per representation, Range
 * served from the identity bytes, precompressed siblings (fresh, stale, escaping), and no
 * compression for small files, images and fonts, or when it is off.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import { request } from 'undici';
import { createHttpServer, type HttpServer } from '../../src/server/server.js';
import type { HttpResponse } from '../../src/server/types.js';
import { createStaticHandler } from '../../src/worker/static/index.js';

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

async function get(url: string, headers: Record<string, string> = {}, method: 'GET' | 'HEAD' = 'GET'): Promise<Raw> {
  const r = await request(url, { method, headers });
  return { status: r.statusCode, headers: r.headers, body: Buffer.from(await r.body.arrayBuffer()) };
}

function decode(r: Raw): Buffer {
  const coding = r.headers['content-encoding'];
  if (coding === 'br') return brotliDecompressSync(r.body);
  if (coding === 'gzip') return gunzipSync(r.body);
  assert.equal(coding, undefined);
  return r.body;
}

/** Text that compresses, but not to nothing: `lines` numbered lines of mixed words. */
function text(lines: number): Buffer {
  const words = ['alpha', 'beta', 'gamma', 'delta', 'épsilon', 'zeta', 'eta', 'theta'];
  let s = '';
  for (let i = 0; i < lines; i++) s += `${i} ${words[i % 8]} ${words[(i * 7) % 8]} ${(i * 2654435761) % 1000003}\n`;
  return Buffer.from(s);
}

const SMALL = text(2000); // ~50 KB: read whole and cached
const LARGE = text(120_000); // ~3 MB: streamed through the encoder

describe('static files, compressed', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'dhttp-static-gz-'));
  const root = path.join(tmp, 'www');
  let server: HttpServer;
  let off: HttpServer;
  let base = '';
  let baseOff = '';

  before(async () => {
    await fs.mkdir(root);
    await fs.writeFile(path.join(root, 'small.txt'), SMALL);
    await fs.writeFile(path.join(root, 'large.txt'), LARGE);
    await fs.writeFile(path.join(root, 'tiny.json'), '{"a":1}');
    await fs.writeFile(path.join(root, 'edge.txt'), Buffer.alloc(1024, 'a'));
    await fs.writeFile(path.join(root, 'edge2.txt'), Buffer.alloc(1025, 'a'));
    await fs.writeFile(path.join(root, 'photo.png'), Buffer.alloc(20_000, 'p'));
    await fs.writeFile(path.join(root, 'font.woff2'), Buffer.alloc(20_000, 'f'));
    // Precompressed siblings, made different from what the server would produce so the test
    // can tell which one it got: the sibling of app.js holds a marker comment.
    const app = Buffer.from(`export const x = ${JSON.stringify('y'.repeat(5000))};\n`);
    await fs.writeFile(path.join(root, 'app.js'), app);
    await fs.writeFile(path.join(root, 'app.js.br'), brotliCompressSync(Buffer.concat([app, Buffer.from('// from app.js.br\n')])));
    await fs.writeFile(path.join(root, 'app.js.gz'), gzipSync(Buffer.concat([app, Buffer.from('// from app.js.gz\n')])));
    await fs.writeFile(path.join(root, 'old.css'), Buffer.from(`body{}\n${'.a{color:red}\n'.repeat(500)}`));
    await fs.writeFile(path.join(root, 'old.css.br'), brotliCompressSync(Buffer.from('/* stale */')));
    const past = new Date(Date.now() - 3600_000);
    await fs.utimes(path.join(root, 'old.css.br'), past, past);
    await fs.writeFile(path.join(root, 'leak.txt'), text(200));
    await fs.writeFile(path.join(tmp, 'outside.br'), brotliCompressSync(Buffer.from('SECRET OUTSIDE THE ROOT')));
    await fs.symlink(path.join(tmp, 'outside.br'), path.join(root, 'leak.txt.br'));
    // 64 KiB: small.txt is cached, large.txt streamed.
    server = createHttpServer({}, createStaticHandler({ root, maxCachedFileBytes: 64 * 1024 }));
    off = createHttpServer({}, createStaticHandler({ root, compression: { enabled: false } }));
    base = `http://127.0.0.1:${(await server.listen(0, '127.0.0.1')).port}`;
    baseOff = `http://127.0.0.1:${(await off.listen(0, '127.0.0.1')).port}`;
  });
  after(async () => {
    await server.close();
    await off.close();
    await fs.rm(tmp, { recursive: true, force: true });
  });

  for (const [name, file] of [
    ['small.txt', SMALL],
    ['large.txt', LARGE],
  ] as const) {
    it(`${name}: brotli and gzip decode to the file, byte for byte`, async () => {
      for (const coding of ['br', 'gzip'] as const) {
        for (let round = 0; round < 2; round++) {
          // The second round of the small file comes from the cache.
          const r = await get(`${base}/${name}`, { 'accept-encoding': coding });
          assert.equal(r.status, 200);
          assert.equal(r.headers['content-encoding'], coding);
          assert.equal(r.headers.vary, 'Accept-Encoding');
          assert.equal(r.headers['content-type'], 'text/plain; charset=utf-8');
          assert.equal(r.headers['accept-ranges'], undefined, 'no ranges of a compressed body');
          assert.match(String(r.headers.etag), new RegExp(`^W/"[0-9a-f]+-[0-9a-f]+-${coding}"$`));
          assert.ok(r.body.length < file.length / 2);
          assert.deepEqual(decode(r), file);
        }
      }
      const plain = await get(`${base}/${name}`);
      assert.equal(plain.headers['content-encoding'], undefined);
      assert.equal(plain.headers.vary, 'Accept-Encoding', 'the identity answer varies too');
      assert.equal(plain.headers['accept-ranges'], 'bytes');
      assert.deepEqual(plain.body, file);
    });
  }

  it('If-None-Match matches the representation the client would get now (304), not another', async () => {
    for (const name of ['small.txt', 'large.txt']) {
      const br = await get(`${base}/${name}`, { 'accept-encoding': 'br' });
      const gz = await get(`${base}/${name}`, { 'accept-encoding': 'gzip' });
      const plain = await get(`${base}/${name}`);
      const tags = new Set([br.headers.etag, gz.headers.etag, plain.headers.etag]);
      assert.equal(tags.size, 3, 'three representations, three tags');
      const again = await get(`${base}/${name}`, { 'accept-encoding': 'br', 'if-none-match': String(br.headers.etag) });
      assert.equal(again.status, 304);
      assert.equal(again.headers.etag, br.headers.etag);
      assert.equal(again.headers.vary, 'Accept-Encoding');
      assert.equal(again.headers['content-encoding'], undefined);
      assert.equal(again.body.length, 0);
      // The identity tag does not validate the brotli representation, nor the reverse.
      assert.equal((await get(`${base}/${name}`, { 'accept-encoding': 'br', 'if-none-match': String(plain.headers.etag) })).status, 200);
      assert.equal((await get(`${base}/${name}`, { 'if-none-match': String(br.headers.etag) })).status, 200);
      assert.equal((await get(`${base}/${name}`, { 'if-none-match': String(plain.headers.etag) })).status, 304);
      // A list with several of our tags matches the one selected.
      const list = `${String(plain.headers.etag)}, ${String(gz.headers.etag)}`;
      const hit = await get(`${base}/${name}`, { 'accept-encoding': 'gzip', 'if-none-match': list });
      assert.equal(hit.status, 304);
      assert.equal(hit.headers.etag, gz.headers.etag);
    }
  });

  it('Range gets the identity bytes (206), still with Vary; If-Range with a compressed tag gets the whole file', async () => {
    for (const [name, file] of [
      ['small.txt', SMALL],
      ['large.txt', LARGE],
    ] as const) {
      const r = await get(`${base}/${name}`, { 'accept-encoding': 'br, gzip', range: 'bytes=100-199' });
      assert.equal(r.status, 206);
      assert.equal(r.headers['content-encoding'], undefined);
      assert.equal(r.headers['content-range'], `bytes 100-199/${file.length}`);
      assert.equal(r.headers.vary, 'Accept-Encoding');
      assert.deepEqual(r.body, file.subarray(100, 200));
      const br = await get(`${base}/${name}`, { 'accept-encoding': 'br' });
      const resumed = await get(`${base}/${name}`, { 'accept-encoding': 'br', range: 'bytes=0-9', 'if-range': String(br.headers.etag) });
      assert.equal(resumed.status, 200, 'a weak tag never satisfies If-Range');
      assert.deepEqual(resumed.body, file);
    }
  });

  it('HEAD announces what GET sends', async () => {
    const small = await get(`${base}/small.txt`, { 'accept-encoding': 'br' });
    const smallHead = await get(`${base}/small.txt`, { 'accept-encoding': 'br' }, 'HEAD');
    assert.equal(smallHead.headers['content-encoding'], 'br');
    assert.equal(Number(smallHead.headers['content-length']), small.body.length);
    const largeHead = await get(`${base}/large.txt`, { 'accept-encoding': 'gzip' }, 'HEAD');
    assert.equal(largeHead.headers['content-encoding'], 'gzip');
    assert.equal(largeHead.headers['content-length'], undefined, 'a streamed encoding has no length in advance');
    assert.equal(largeHead.body.length, 0);
  });

  it('a fresh precompressed sibling is sent as it is, with its length and the original type', async () => {
    for (const [coding, suffix, unpack] of [
      ['br', '.br', brotliDecompressSync],
      ['gzip', '.gz', gunzipSync],
    ] as const) {
      const sibling = await fs.readFile(path.join(root, `app.js${suffix}`));
      const r = await get(`${base}/app.js`, { 'accept-encoding': coding });
      assert.equal(r.headers['content-encoding'], coding);
      assert.equal(r.headers['content-type'], 'text/javascript; charset=utf-8');
      assert.equal(Number(r.headers['content-length']), sibling.length);
      assert.deepEqual(r.body, sibling);
      assert.match(unpack(r.body).toString(), new RegExp(`// from app\\.js\\${suffix}`));
      const head = await get(`${base}/app.js`, { 'accept-encoding': coding }, 'HEAD');
      assert.equal(Number(head.headers['content-length']), sibling.length);
    }
    // Without Accept-Encoding the file itself.
    assert.doesNotMatch((await get(`${base}/app.js`)).body.toString(), /from app\.js/);
  });

  it('a stale sibling, or one that leaves the root, is not used: the file is compressed now', async () => {
    const css = await get(`${base}/old.css`, { 'accept-encoding': 'br' });
    assert.equal(css.headers['content-encoding'], 'br');
    assert.deepEqual(decode(css), await fs.readFile(path.join(root, 'old.css')));
    const leak = await get(`${base}/leak.txt`, { 'accept-encoding': 'br' });
    assert.equal(leak.headers['content-encoding'], 'br');
    assert.doesNotMatch(decode(leak).toString(), /SECRET/);
    assert.deepEqual(decode(leak), await fs.readFile(path.join(root, 'leak.txt')));
  });

  it('no compression (and no Vary) up to the threshold, for images and fonts, or when off', async () => {
    for (const file of ['tiny.json', 'edge.txt', 'photo.png', 'font.woff2']) {
      const r = await get(`${base}/${file}`, { 'accept-encoding': 'br, gzip' });
      assert.equal(r.status, 200, file);
      assert.equal(r.headers['content-encoding'], undefined, file);
      assert.equal(r.headers.vary, undefined, file);
    }
    const edge2 = await get(`${base}/edge2.txt`, { 'accept-encoding': 'gzip' });
    assert.equal(edge2.headers['content-encoding'], 'gzip', '1025 bytes: one over the threshold');
    for (const file of ['small.txt', 'large.txt', 'app.js']) {
      const r = await get(`${baseOff}/${file}`, { 'accept-encoding': 'br, gzip' });
      assert.equal(r.headers['content-encoding'], undefined, file);
      assert.equal(r.headers.vary, undefined, file);
      assert.deepEqual(r.body, await fs.readFile(path.join(root, file)));
    }
  });

  it('a client that stops reading holds the encoder and the file reads (backpressure)', async () => {
    // Random base64 is text, but compresses only to about three quarters: 24 MiB of it
    // cannot hide in socket buffers once compressed.
    const big = Buffer.from(randomBytes(18 * 1024 * 1024).toString('base64'));
    await fs.writeFile(path.join(root, 'random.txt'), big);
    const handler = createStaticHandler({ root });
    let res: HttpResponse | undefined;
    const watched = createHttpServer({}, (req, r) => {
      res = r;
      return handler(req, r);
    });
    const port = (await watched.listen(0, '127.0.0.1')).port;
    try {
      const s = net.connect(port, '127.0.0.1');
      s.write('GET /random.txt HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n');
      s.pause();
      await new Promise((r) => setTimeout(r, 500));
      const paused = res?.bytesWritten ?? 0;
      assert.ok(paused > 0 && paused < 8 * 1024 * 1024, `${paused} bytes written while the client read nothing`);
      let received = 0;
      s.on('data', (c: Buffer) => (received += c.length));
      s.resume();
      await new Promise((r) => s.once('end', r));
      assert.ok((res?.bytesWritten ?? 0) > 16 * 1024 * 1024, 'then the rest follows');
      assert.ok(received > (res?.bytesWritten ?? 0));
    } finally {
      await watched.close();
      await fs.rm(path.join(root, 'random.txt'));
    }
  });

  it('a client leaving mid-stream stops the encoder and closes the file', async () => {
    const fds = (): number => readdirSync('/proc/self/fd').length;
    await get(`${base}/large.txt`, { 'accept-encoding': 'br' }); // warm up
    const before = fds();
    const port = Number(new URL(base).port);
    for (let i = 0; i < 5; i++) {
      await new Promise<void>((resolve) => {
        const s = net.connect(port, '127.0.0.1', () => {
          s.write('GET /large.txt HTTP/1.1\r\nHost: x\r\nAccept-Encoding: br\r\n\r\n');
        });
        s.once('data', () => {
          s.destroy();
          resolve();
        });
      });
    }
    // The server notices each close, tears its pipeline down and closes the file.
    const until = Date.now() + 5000;
    while (fds() > before && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    assert.ok(fds() <= before, `file descriptors: ${before} before, ${fds()} after`);
    const r = await get(`${base}/large.txt`, { 'accept-encoding': 'gzip' });
    assert.deepEqual(decode(r), LARGE);
  });
});
