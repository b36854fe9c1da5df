/**
 * Acceptance (5), small version: a 20 MB streamed POST /countwords on a real worker
 * matches the reference count, and the worker's peak RSS grows by far less than the body
 * (bench/countwords-memory.ts runs the 200 MB version).
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { call } from '../helpers/http.js';
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
