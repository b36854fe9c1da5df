/**
 * Acceptance (5), small version: a 20 MB streamed POST /countwords on a real worker
 * matches the reference count, and the worker's peak RSS grows by far less than the body
 * (bench/countwords-memory.ts runs the 200 MB version).
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { call, errorOf, type Reply } from '../helpers/http.js';
import { startWorker } from '../helpers/processes.js';
import { peakRss, wordCorpus } from '../helpers/word-corpus.js';

it('POST /countwords of 20 MB (chunked, odd cuts) is exact and memory-flat', async (t) => {
  const w = await startWorker(['--threads', '2', '--log-level', 'warn'], { context: t });
  await call(`${w.url}/countwords`, { method: 'POST', body: 'warm up the pool' });
  const before = ((await call(`${w.url}/status`)).json as { memory: { rss: number } }).memory.rss;
  const corpus = wordCorpus(20 * 1024 * 1024);
  const r = await call(`${w.url}/countwords`, { method: 'POST', body: corpus.body(), timeoutMs: 60_000 });
  assert.equal(r.status, 200, r.text.slice(0, 300));
  const got = r.json as Record<string, number>;
  assert.deepEqual(new Map(Object.entries(got)), corpus.expected);
  const peak = await peakRss(w.pid);
  const after = ((await call(`${w.url}/status`)).json as { memory: { rss: number } }).memory.rss;
  const mb = (n: number): string => `${(n / 1048576).toFixed(1)} MB`;
  t.diagnostic(`body ${mb(corpus.bytes)}; rss before ${mb(before)}, after ${mb(after)}, peak ${peak === undefined ? 'n/a' : mb(peak)}`);
  // Generous on purpose: the compute threads' young generations alone may take ~50 MB
  // each before their first scavenges settle (see bench/countwords-memory.ts for the
  // 200 MB run and its 150 MB target).
  assert.ok(after - before < 180 * 1048576, `rss grew ${mb(after - before)}`);
  if (peak !== undefined) assert.ok(peak - before < 180 * 1048576, `peak rss ${mb(peak)} vs ${mb(before)} before`);
});

it('a word over --max-word-bytes gets 413 at the edge, and an endless word is refused early with memory flat', async (t) => {
  const w = await startWorker(['--threads', '1', '--log-level', 'warn', '--max-word-bytes', '1000'], { context: t });
  const post = (body: string | AsyncIterable<Buffer>) => call(`${w.url}/countwords`, { method: 'POST', body, timeoutMs: 60_000 });
  // Exactly 1000 bytes (2-byte letters), joined by an apostrophe: counted.
  const atLimit = `${'é'.repeat(300)}'${'x'.repeat(399)}`;
  let r = await post(`one ${atLimit} two`);
  assert.equal(r.status, 200, r.text.slice(0, 200));
  assert.equal((r.json as Record<string, number>)[atLimit], 1);
  r = await post(`one ${atLimit}y two`);
  assert.equal(r.status, 413, r.text.slice(0, 200));
  assert.equal(errorOf(r)?.code, 'PAYLOAD_TOO_LARGE');
  assert.equal(errorOf(r)?.message, 'a word is longer than 1000 bytes (--max-word-bytes)');
  // Deep inside a large text, across batches, after megabytes of ordinary words.
  const corpus = wordCorpus(3 * 1024 * 1024);
  async function* withLongWord(): AsyncGenerator<Buffer> {
    yield* corpus.body();
    yield Buffer.from(` ${'z'.repeat(700)}`);
    yield Buffer.from(`${'z'.repeat(700)} end`);
  }
  r = await post(withLongWord());
  assert.equal(r.status, 413, r.text.slice(0, 200));
  // One word without end: the worker answers without reading it all and its memory stays flat.
  const before = ((await call(`${w.url}/status`)).json as { memory: { rss: number } }).memory.rss;
  let sent = 0;
  async function* endless(): AsyncGenerator<Buffer> {
    const piece = Buffer.alloc(64 * 1024, 'w');
    for (; sent < 2 * 1024 ** 3; sent += piece.length) yield piece;
  }
  // A reset instead of an answer shows as status 0 with the error.
  r = await post(endless()).catch((err: unknown): Reply => ({ status: 0, text: String(err), json: undefined, headers: {} }));
  assert.equal(r.status, 413, r.text.slice(0, 200));
  assert.ok(sent < 64 * 1024 ** 2, `${sent} bytes sent before the answer`);
  const peak = await peakRss(w.pid);
  if (peak !== undefined) assert.ok(peak - before < 64 * 1048576, `peak rss ${peak} vs ${before} before`);
  // The worker goes on serving.
  r = await post('still here');
  assert.equal(r.status, 200);
});

it('a text of more than --max-distinct-words distinct words gets 413; exactly that many are counted', async (t) => {
  const w = await startWorker(['--threads', '1', '--log-level', 'warn', '--max-distinct-words', '5'], { context: t });
  const post = (body: string) => call(`${w.url}/countwords`, { method: 'POST', body, timeoutMs: 60_000 });
  // Five distinct once folded: "A" is "a".
  let r = await post('a b c d e A');
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json, { a: 2, b: 1, c: 1, d: 1, e: 1 });
  r = await post('a b c d e f');
  assert.equal(r.status, 413, r.text);
  assert.equal(errorOf(r)?.message, 'the text has more than 5 distinct words (--max-distinct-words)');
  r = await post('still fine');
  assert.equal(r.status, 200);
});

it('asked for word-count lines (as the dispatcher asks), a worker answers them; otherwise JSON', async (t) => {
  const w = await startWorker(['--threads', '1', '--log-level', 'warn'], { context: t });
  const body = "The the CAFÉ café don't x x x";
  const lines = await call(`${w.url}/countwords`, {
    method: 'POST',
    body,
    headers: { accept: 'application/vnd.dhttp.word-counts, application/json;q=0.5' },
  });
  assert.equal(lines.status, 200, lines.text);
  assert.equal(lines.headers['content-type'], 'application/vnd.dhttp.word-counts');
  assert.deepEqual(lines.text.split('\n').sort(), ['', 'café 1', 'café 1', "don't 1", 'the 2', 'x 3']);
  const json = await call(`${w.url}/countwords`, { method: 'POST', body, headers: { accept: 'application/json' } });
  assert.match(json.headers['content-type'] ?? '', /^application\/json/);
  assert.deepEqual(json.json, { café: 2, "don't": 1, the: 2, x: 3 });
  // ?top=K keeps its JSON shape whatever the Accept header says.
  const top = await call(`${w.url}/countwords?top=1`, { method: 'POST', body, headers: { accept: 'application/vnd.dhttp.word-counts' } });
  assert.match(top.headers['content-type'] ?? '', /^application\/json/);
});
