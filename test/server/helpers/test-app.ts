/**
 * A small app on the engine with the routes the conformance corpus and the engine tests
 * use. It exists so the engine can be tested on its own, apart from the worker.
 */
import { createHash } from 'node:crypto';
import { Router } from '../../../src/server/router.js';
import { createHttpServer, type HttpServer, type HttpServerOptions } from '../../../src/server/server.js';
import { httpError } from '../../../src/common/errors.js';

/** Counts words of the body with a plain regex; the real counter is tested elsewhere. */
async function countWords(body: AsyncIterable<Buffer>): Promise<Record<string, number>> {
  const parts: Buffer[] = [];
  for await (const c of body) parts.push(c);
  const counts: Record<string, number> = {};
  for (const w of Buffer.concat(parts)
    .toString('utf8')
    .toLowerCase()
    .match(/[\p{L}\p{M}\p{N}]+/gu) ?? []) {
    counts[w] = (counts[w] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** How many /slow requests found their client gone when they finished. */
export const abortedSlow = { count: 0 };

export function testRouter(): Router {
  const r = new Router();
  r.get('/ping', (_req, res) => res.json(200, { status: 'ok', load: 0 }));
  r.get('/reverse', (req, res) => {
    const text = req.query.get('text');
    if (text === null) throw httpError('MISSING_PARAM', 'text is required');
    res.json(200, { text, result: [...text].reverse().join('') });
  });
  r.get('/hash', (req, res) => {
    const text = req.query.get('text') ?? '';
    res.json(200, { algorithm: 'sha256', hash: createHash('sha256').update(text).digest('hex') });
  });
  r.post('/countwords', async (req, res) => res.json(200, await countWords(req.body)), { maxBody: 64 * 1024 * 1024 });
  r.post('/echo', async (req, res) => {
    const parts: Buffer[] = [];
    for await (const c of req.body) parts.push(c as Buffer);
    res.send(200, Buffer.concat(parts), 'application/octet-stream');
  });
  r.get('/stream', async (req, res) => {
    const n = Number(req.query.get('n') ?? '3');
    res.setHeader('Content-Type', 'text/plain');
    for (let i = 0; i < n; i++) {
      if (!res.write(`line ${i}\n`)) await res.drain();
    }
    res.end();
  });
  // One buffered answer of `bytes` bytes (not streamed: the exchange ends while it is still on its way).
  r.get('/big', (req, res) => res.send(200, Buffer.alloc(Number(req.query.get('bytes') ?? '0'), 'x'), 'application/octet-stream'));
  r.get('/slow', async (req, res) => {
    await new Promise((resolve) => setTimeout(resolve, Number(req.query.get('ms') ?? '100')));
    if (req.aborted) abortedSlow.count++;
    res.json(200, { slept: true });
  });
  r.get('/crash', () => {
    throw new Error('boom');
  });
  return r;
}

export async function startTestServer(options: HttpServerOptions = {}): Promise<{ server: HttpServer; port: number }> {
  const router = testRouter();
  const server = createHttpServer({ bodyLimit: (m, p) => router.bodyLimit(m, p), onError: () => {}, ...options }, router.handle);
  const { port } = await server.listen(0, '127.0.0.1');
  return { server, port };
}
