/**
 * ResponseCompression on the engine, over real sockets: JSON and text answers decoded
 * byte-exact, the threshold at its edge, Vary whenever the answer depended on
 * Accept-Encoding, off when disabled or for types that do not compress.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { request } from 'undici';
import { KeptBody, ResponseCompression } from '../../src/server/compress.js';
import { Router } from '../../src/server/router.js';
import { createHttpServer, type HttpServer } from '../../src/server/server.js';

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

/** A JSON document of exactly `bytes` bytes: {"s":"xxx…"}. */
function jsonOf(bytes: number): { s: string } {
  return { s: 'x'.repeat(bytes - 8) };
}

function app(compression: ResponseCompression): Router {
  const r = new Router();
  const page = new KeptBody(`<!doctype html>${'<p>dashboard row</p>\n'.repeat(600)}`, 'text/html; charset=utf-8');
  r.get('/json', (req, res) => compression.json(req, res, 200, jsonOf(Number(req.query.get('bytes')))));
  r.get('/words', (req, res) => {
    const words: Record<string, number> = {};
    for (let i = 0; i < 8000; i++) words[`w${i.toString(36)}é`] = i;
    return compression.json(req, res, 200, words);
  });
  r.get('/png', (req, res) => compression.send(req, res, 200, Buffer.alloc(50_000, 7), 'image/png'));
  r.get('/page', (req, res) => compression.sendKept(req, res, 200, page));
  r.get('/tagged', (req, res) => {
    res.setHeader('ETag', '"v1"');
    res.setHeader('Vary', 'Origin');
    return compression.json(req, res, 200, jsonOf(5000));
  });
  return r;
}

describe('ResponseCompression', () => {
  let on: HttpServer;
  let off: HttpServer;
  let base = '';
  let baseOff = '';
  before(async () => {
    on = createHttpServer({}, (req, res) => app(new ResponseCompression()).handle(req, res));
    off = createHttpServer({}, (req, res) => app(new ResponseCompression({ enabled: false })).handle(req, res));
    base = `http://127.0.0.1:${(await on.listen(0, '127.0.0.1')).port}`;
    baseOff = `http://127.0.0.1:${(await off.listen(0, '127.0.0.1')).port}`;
  });
  after(async () => {
    await on.close();
    await off.close();
  });

  it('decodes byte-exact with brotli and gzip; identity without Accept-Encoding', async () => {
    const plain = await get(`${base}/words`);
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.equal(plain.headers.vary, 'Accept-Encoding', 'Vary also on the identity answer');
    assert.ok(plain.body.length > 100_000);
    for (const [ae, coding] of [
      ['br', 'br'],
      ['gzip', 'gzip'],
      ['gzip, deflate, br', 'br'],
      ['br;q=0.5, gzip', 'gzip'],
    ] as const) {
      const r = await get(`${base}/words`, { 'accept-encoding': ae });
      assert.equal(r.status, 200);
      assert.equal(r.headers['content-encoding'], coding, ae);
      assert.equal(r.headers.vary, 'Accept-Encoding');
      assert.equal(r.headers['content-type'], 'application/json; charset=utf-8');
      assert.equal(Number(r.headers['content-length']), r.body.length);
      assert.ok(r.body.length < plain.body.length / 3, `${coding}: ${r.body.length} of ${plain.body.length}`);
      assert.deepEqual(decode(r), plain.body, ae);
    }
  });

  it('the threshold at its edge: 1024 bytes go out as they are, 1025 are compressed', async () => {
    const at = await get(`${base}/json?bytes=1024`, { 'accept-encoding': 'br' });
    assert.equal(at.body.length, 1024);
    assert.equal(at.headers['content-encoding'], undefined);
    assert.equal(at.headers.vary, undefined, 'never compressed, so it does not vary');
    const above = await get(`${base}/json?bytes=1025`, { 'accept-encoding': 'br' });
    assert.equal(above.headers['content-encoding'], 'br');
    assert.equal(above.headers.vary, 'Accept-Encoding');
    assert.deepEqual(JSON.parse(decode(above).toString()), jsonOf(1025));
  });

  it('a type that is compressed already is not compressed again', async () => {
    const r = await get(`${base}/png`, { 'accept-encoding': 'br, gzip' });
    assert.equal(r.headers['content-encoding'], undefined);
    assert.equal(r.headers.vary, undefined);
    assert.equal(r.body.length, 50_000);
  });

  it('off: no coding and no Vary', async () => {
    for (const path of ['/words', '/page']) {
      const r = await get(`${baseOff}${path}`, { 'accept-encoding': 'br, gzip' });
      assert.equal(r.headers['content-encoding'], undefined, path);
      assert.equal(r.headers.vary, undefined, path);
    }
  });

  it('a kept body is compressed once and served the same each time; HEAD has the GET length', async () => {
    const plain = await get(`${base}/page`);
    const a = await get(`${base}/page`, { 'accept-encoding': 'br' });
    const b = await get(`${base}/page`, { 'accept-encoding': 'br' });
    assert.deepEqual(a.body, b.body);
    assert.deepEqual(decode(a), plain.body);
    const g = await get(`${base}/page`, { 'accept-encoding': 'gzip' });
    assert.deepEqual(decode(g), plain.body);
    const head = await get(`${base}/page`, { 'accept-encoding': 'br' }, 'HEAD');
    assert.equal(head.headers['content-encoding'], 'br');
    assert.equal(Number(head.headers['content-length']), a.body.length);
    assert.equal(head.body.length, 0);
  });

  it('a handler ETag becomes the variant tag; an existing Vary is kept', async () => {
    const r = await get(`${base}/tagged`, { 'accept-encoding': 'gzip' });
    assert.equal(r.headers.etag, 'W/"v1-gzip"');
    assert.equal(r.headers.vary, 'Origin, Accept-Encoding');
    const plain = await get(`${base}/tagged`);
    assert.equal(plain.headers.etag, '"v1"');
  });
});
