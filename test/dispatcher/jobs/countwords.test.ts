/**
 * /countwords through the dispatcher onto real `dhttp worker` processes, checked against
 * counts computed another way (the generator's own tally, or a code-point state machine).
 * `DHTTP_BIG_TESTS=1` adds the 200 MB run of the acceptance criteria.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Readable } from 'node:stream';
import { request } from 'undici';
import { countsToJson, topK } from '../../../src/jobs/words.js';
import { runJob } from '../../../src/dispatcher/jobs/job-runner.js';
import { countwordsJob } from '../../../src/dispatcher/jobs/countwords-job.js';
import { RoundRobin } from '../../../src/dispatcher/balance/selection.js';
import type { JobProgress } from '../../../src/dispatcher/jobs/job-registry.js';
import { call, errorOf } from '../../helpers/http.js';
import type { StartedProcess } from '../../helpers/processes.js';
import { eventsWith, startJobsDispatcher, startWorkers, type JobsCluster } from '../helpers/jobs-cluster.js';
import { TRAP_SAMPLE, generateText, referenceCount, sorted } from '../helpers/jobs-text.js';

const BIG = process.env.DHTTP_BIG_TESTS === '1';

let workers: StartedProcess[] = [];
let cluster: JobsCluster;
const extra: JobsCluster[] = [];
let dataDir: string;

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'dhttp-jobs-cw-'));
  // The workers' word limit is above the 5 MB word test's and below the dispatcher's, so
  // that a worker's 413 for a chunk is seen on its way through.
  workers = await startWorkers(2, ['--max-word-bytes', '6MiB']);
  cluster = await startJobsDispatcher(workers, ['--countwords-chunk', '256KiB', '--data-dir', dataDir, '--max-word-bytes', '1GiB']);
});

after(async () => {
  await Promise.all([cluster, ...extra].map((c) => c?.close()));
  await Promise.all(workers.map((w) => w.stop()));
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/**
 * Lets timers that came due during a long synchronous step run before the next request.
 * This process hosts both the dispatcher and the client: a step that blocks it for seconds
 * on a loaded machine leaves idle pooled connections past both keep-alive timeouts, and a
 * request sent before those timers run can meet the server's close on the wire (a reset).
 */
const settle = (): Promise<unknown> => sleep(0);

/** Streams a generated text as a chunked POST and returns the raw answer. */
async function postStream(body: AsyncIterable<Buffer>, query = ''): Promise<{ status: number; text: string }> {
  const res = await request(`${cluster.url}/countwords${query}`, {
    method: 'POST',
    body: Readable.from(body),
    headersTimeout: 300_000,
    bodyTimeout: 300_000,
  });
  return { status: res.statusCode, text: await res.body.text() };
}

async function checkGenerated(bytes: number, seed: number): Promise<void> {
  const text = generateText(bytes, seed);
  const before = eventsWith(cluster.events, 'received chunk').length;
  const r = await postStream(text.pieces);
  assert.equal(r.status, 200, r.text.slice(0, 300));
  // The whole answer, byte for byte: the reference counts in code-point key order.
  assert.equal(r.text, countsToJson(text.counts));
  const received = eventsWith(cluster.events, 'received chunk').slice(before);
  assert.ok(received.length >= Math.floor(bytes / (256 * 1024)) - 1, `${received.length} chunks`);
  assert.equal(new Set(received.map((e) => e.worker)).size, 2, 'both workers counted chunks');
}

describe('POST /countwords', () => {
  test('a streamed 24 MB text with multi-byte words and apostrophes: exactly the generated counts', async () => {
    await checkGenerated(24 * 1024 * 1024, 11);
  });

  test('200 MB (DHTTP_BIG_TESTS=1)', { skip: !BIG && 'set DHTTP_BIG_TESTS=1', timeout: 600_000 }, async () => {
    await checkGenerated(200 * 1024 * 1024, 12);
  });

  test('Content-Length body and ?top=K', async () => {
    const text = generateText(3 * 1024 * 1024, 13);
    const parts: Buffer[] = [];
    for await (const p of text.pieces) parts.push(p);
    const body = Buffer.concat(parts);
    await settle();
    const r = await call(`${cluster.url}/countwords?top=7`, { method: 'POST', body, timeoutMs: 120_000 });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, topK(text.counts, 7));
    const json = r.json as { total_words: number; top: Array<{ count: number }> };
    assert.equal(
      json.total_words,
      [...text.counts.values()].reduce((a, b) => a + b, 0),
    );
  });

  test('one 5 MB word (one chunk, far past the chunk size)', async () => {
    const word = `${'É'.repeat(1024 * 1024)}'${'ä'.repeat(1024 * 1024)}${'x'.repeat(1024 * 1024)}`;
    const body = Buffer.from(`Start ${word} end`, 'utf8');
    assert.ok(body.length > 5 * 1024 * 1024);
    const expected = sorted(referenceCount(body.toString('utf8')));
    await settle();
    const r = await call(`${cluster.url}/countwords`, { method: 'POST', body, timeoutMs: 120_000 });
    assert.equal(r.status, 200, r.text.slice(0, 300));
    assert.deepEqual(sorted(new Map(Object.entries(r.json as Record<string, number>))), expected);
  });

  test("a word over a worker's --max-word-bytes: the worker's 413 reaches the client", async () => {
    const body = Buffer.from(`a ${'w'.repeat(6 * 1024 * 1024 + 1)} b`);
    await settle();
    const r = await call(`${cluster.url}/countwords`, { method: 'POST', body, timeoutMs: 120_000 });
    assert.equal(r.status, 413, r.text.slice(0, 300));
    assert.equal(errorOf(r)?.code, 'PAYLOAD_TOO_LARGE');
    assert.match(errorOf(r)?.message ?? '', /refused by worker .*a word is longer than 6291456 bytes/);
  });

  test("a word over the dispatcher's --max-word-bytes: 413 before it is read whole or sent on", async () => {
    const small = await startJobsDispatcher(workers, ['--countwords-chunk', '4KiB', '--max-word-bytes', '64KiB']);
    // Closed with the others: its client connection lingers half-closed for the close grace (the upload was refused mid-way).
    extra.push(small);
    const atLimit = 'é'.repeat(32 * 1024);
    let r = await call(`${small.url}/countwords`, { method: 'POST', body: `x ${atLimit} y`, timeoutMs: 60_000 });
    assert.equal(r.status, 200, r.text.slice(0, 300));
    assert.equal((r.json as Record<string, number>)[atLimit], 1);
    const chunksBefore = eventsWith(small.events, 'sending chunk').length;
    let sent = 0;
    async function* endless(): AsyncGenerator<Buffer> {
      yield Buffer.from('a few words first ');
      const piece = Buffer.alloc(16 * 1024, 'q');
      for (; sent < 1024 ** 3; sent += piece.length) yield piece;
    }
    r = await call(`${small.url}/countwords`, { method: 'POST', body: endless(), timeoutMs: 60_000 });
    assert.equal(r.status, 413, r.text.slice(0, 300));
    assert.equal(errorOf(r)?.message, 'a word is longer than 65536 bytes (--max-word-bytes)');
    assert.ok(sent < 32 * 1024 ** 2, `${sent} bytes sent before the answer`);
    const sentOn = eventsWith(small.events, 'sending chunk').length - chunksBefore;
    assert.ok(sentOn <= 1, `${sentOn} chunks sent to workers`);
  });

  test("more distinct words than the dispatcher's --max-distinct-words: 413 as the chunks are merged", async () => {
    const few = await startJobsDispatcher(workers, ['--countwords-chunk', '4KiB', '--max-distinct-words', '1000']);
    extra.push(few);
    const words = (n: number): string => Array.from({ length: n }, (_, i) => `w${i}`).join(' ');
    let r = await call(`${few.url}/countwords?top=1`, { method: 'POST', body: `${words(1000)} ${words(1000)}` });
    assert.equal(r.status, 200, r.text.slice(0, 300));
    assert.equal((r.json as { unique_words: number }).unique_words, 1000);
    r = await call(`${few.url}/countwords`, { method: 'POST', body: words(1001) });
    assert.equal(r.status, 413, r.text.slice(0, 300));
    assert.equal(errorOf(r)?.message, 'the text has more than 1000 distinct words (--max-distinct-words)');
  });

  test('an empty body counts nothing', async () => {
    const r = await call(`${cluster.url}/countwords`, { method: 'POST', body: '' });
    assert.equal(r.status, 200);
    assert.equal(r.text, '{}');
  });

  test('a bad ?top is refused before the body is read', async () => {
    for (const q of ['top=0', 'top=abc', 'top=100001']) {
      const r = await call(`${cluster.url}/countwords?${q}`, { method: 'POST', body: 'a b c' });
      assert.equal(r.status, 400, q);
      assert.equal(errorOf(r)?.code, 'INVALID_PARAM');
    }
  });

  test('progress is on /status while the client is still uploading', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const text = generateText(4 * 1024 * 1024, 14);
    async function* slow(): AsyncGenerator<Buffer> {
      let sent = 0;
      for await (const p of text.pieces) {
        yield p;
        sent += p.length;
        if (sent >= 2 * 1024 * 1024) await gate;
      }
    }
    const answer = postStream(slow());
    let seen: JobProgress | undefined;
    for (let i = 0; i < 200 && seen === undefined; i++) {
      const status = (await call(`${cluster.url}/status`)).json as { jobs: JobProgress[] };
      seen = status.jobs.find((j) => j.kind === 'countwords' && j.state === 'running' && j.chunks_done >= 2);
      if (seen === undefined) await sleep(25);
    }
    release();
    assert.ok(seen, 'a running countwords job with progress');
    assert.equal(seen.chunks_total, null, 'total unknown while uploading');
    assert.ok(seen.bytes_in >= 512 * 1024, `bytes_in ${seen.bytes_in}`);
    const r = await answer;
    assert.equal(r.status, 200);
    assert.equal(r.text, countsToJson(text.counts));
    const status = (await call(`${cluster.url}/status`)).json as { jobs: JobProgress[] };
    const done = status.jobs.find((j) => j.id === seen?.id);
    assert.equal(done?.state, 'done');
    assert.equal(done?.chunks_done, done?.chunks_total);
    assert.equal(done?.workers_used, 2);
  });
});

test('a client that goes away mid-upload cancels its job and frees the workers', async () => {
  const text = generateText(64 * 1024 * 1024, 16);
  const ac = new AbortController();
  async function* endless(): AsyncGenerator<Buffer> {
    for await (const p of text.pieces) {
      yield p;
      await sleep(5);
    }
  }
  const before = new Set(((await call(`${cluster.url}/status`)).json as { jobs: JobProgress[] }).jobs.map((j) => j.id));
  const answer = request(`${cluster.url}/countwords`, { method: 'POST', body: Readable.from(endless()), signal: ac.signal }).catch(
    (err: unknown) => err,
  );
  let job: JobProgress | undefined;
  for (let i = 0; i < 400 && job === undefined; i++) {
    const jobs = ((await call(`${cluster.url}/status`)).json as { jobs: JobProgress[] }).jobs;
    job = jobs.find((j) => !before.has(j.id) && j.kind === 'countwords' && j.chunks_done >= 2);
    if (job === undefined) await sleep(25);
  }
  assert.ok(job, 'the job started');
  ac.abort();
  await answer;
  let state: string | undefined;
  for (let i = 0; i < 200 && state !== 'failed'; i++) {
    state = ((await call(`${cluster.url}/status`)).json as { jobs: JobProgress[] }).jobs.find((j) => j.id === job?.id)?.state;
    if (state !== 'failed') await sleep(25);
  }
  assert.equal(state, 'failed');
  // Depending on how the connection ends (FIN mid-body or RST), the job sees its body fail
  // (400) or its request signal abort; either way it ends, and as the client's doing.
  const end = cluster.events.find((e) => e.job === job?.id && (e.event === 'job_cancelled' || e.event === 'job_failed'));
  assert.ok(end, 'the job ended');
  assert.notEqual(end.level, 'error', `${String(end.error)}`);
  for (let i = 0; i < 100 && cluster.dispatcher.upstreams.list().some((u) => u.load > 0); i++) await sleep(20);
  assert.deepEqual(
    cluster.dispatcher.upstreams.list().map((u) => u.load),
    [0, 0],
  );
});

describe('GET /countwords?file=NAME', () => {
  test('counts a data-dir file', async () => {
    const text = generateText(2 * 1024 * 1024, 15);
    const parts: Buffer[] = [];
    for await (const p of text.pieces) parts.push(p);
    await writeFile(join(dataDir, 'book.txt'), Buffer.concat(parts));
    const r = await call(`${cluster.url}/countwords?file=book.txt`, { timeoutMs: 60_000 });
    assert.equal(r.status, 200);
    assert.equal(r.text, countsToJson(text.counts));
    const t = await call(`${cluster.url}/countwords?file=book.txt&top=3`);
    assert.deepEqual(t.json, topK(text.counts, 3));
  });

  test('bad, missing and absent names', async () => {
    const cases: Array<[string, number, string]> = [
      ['', 400, 'MISSING_PARAM'],
      ['?file=..%2Fetc%2Fpasswd', 400, 'INVALID_NAME'],
      ['?file=.hidden', 400, 'INVALID_NAME'],
      ['?file=nope.txt', 404, 'FILE_NOT_FOUND'],
    ];
    for (const [q, status, code] of cases) {
      const r = await call(`${cluster.url}/countwords${q}`);
      assert.equal(r.status, status, q);
      assert.equal(errorOf(r)?.code, code, q);
    }
  });
});

describe('word boundaries at every byte offset', () => {
  test('the sample cut at every offset (split input, chunk target at that offset) on real workers', async () => {
    const sample = Buffer.from(TRAP_SAMPLE.repeat(2), 'utf8');
    const expected = sorted(referenceCount(sample.toString('utf8')));
    const { upstreams } = cluster.dispatcher;
    const policy = new RoundRobin();
    for (let i = 1; i < sample.length; i++) {
      const job = countwordsJob({ input: [sample.subarray(0, i), sample.subarray(i)], chunkBytes: i, timeoutMs: 10_000 });
      const summary = await runJob(job, { jobId: `offset-${i}`, upstreams, policy, logger: { info() {}, warn() {}, error() {} } });
      assert.deepEqual(sorted(job.counts), expected, `cut target and input split at byte ${i} (${summary.chunks} chunks)`);
    }
  });
});
