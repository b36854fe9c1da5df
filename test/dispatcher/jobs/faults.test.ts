/**
 * Acceptance (2): a worker SIGKILLed in the middle of a job. The job still answers exactly
 * (word counts equal to the generator's; Monte Carlo bit-identical to the run without a
 * failure) and the log shows the lost chunk retried on another worker.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Readable } from 'node:stream';
import { request } from 'undici';
import { countsToJson } from '../../../src/jobs/words.js';
import { call } from '../../helpers/http.js';
import type { StartedProcess } from '../../helpers/processes.js';
import { eventsWith, startJobsDispatcher, startWorkers, type JobsCluster } from '../helpers/jobs-cluster.js';
import { generateText } from '../helpers/jobs-text.js';

const cleanups: Array<() => Promise<unknown>> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function cluster(args: string[]): Promise<{ workers: StartedProcess[]; c: JobsCluster }> {
  const workers = await startWorkers(3);
  cleanups.push(() => Promise.all(workers.map((w) => w.stop())));
  const c = await startJobsDispatcher(workers, args);
  cleanups.push(() => c.close());
  return { workers, c };
}

/**
 * Once the job has merged `afterChunks` chunks, SIGKILLs a worker that has a chunk in
 * flight right then (so a chunk is certainly lost). Resolves with the victim's ID.
 */
async function killMidJob(c: JobsCluster, workers: StartedProcess[], afterChunks: number, job: () => boolean): Promise<string> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (job() && eventsWith(c.events, 'received chunk').length >= afterChunks) {
      for (const w of workers) {
        const u = c.dispatcher.upstreams.get(w.url);
        if (u !== undefined && u.load > 0) {
          w.proc.kill('SIGKILL');
          return u.id;
        }
      }
    }
    await sleep(2);
  }
  throw new Error('the job never had a chunk in flight to lose');
}

function assertRetriedElsewhere(c: JobsCluster, victim: string): void {
  const retries = eventsWith(c.events, 'chunk failed on a worker; retrying').filter((e) => e.worker === victim);
  assert.ok(retries.length > 0, `a "chunk failed on a worker; retrying" line for ${victim}`);
  for (const r of retries) {
    assert.equal(typeof r.reason, 'string');
    const after = eventsWith(c.events, 'received chunk').filter((e) => e.job === r.job && e.chunk === r.chunk);
    assert.equal(after.length, 1, `chunk ${String(r.chunk)} merged exactly once`);
    assert.notEqual(after[0].worker, victim, `chunk ${String(r.chunk)} was computed by another worker`);
  }
}

test('countwords: a worker SIGKILLed mid-upload; the counts are still exact', async () => {
  const { workers, c } = await cluster(['--countwords-chunk', '128KiB']);
  const text = generateText(24 * 1024 * 1024, 21);
  let started = false;
  async function* body(): AsyncGenerator<Buffer> {
    for await (const p of text.pieces) {
      started = true;
      yield p;
    }
  }
  const answer = request(`${c.url}/countwords`, {
    method: 'POST',
    body: Readable.from(body()),
    headersTimeout: 300_000,
    bodyTimeout: 300_000,
  }).then(async (res) => ({ status: res.statusCode, text: await res.body.text() }));
  const victim = await killMidJob(c, workers, 5, () => started);
  const r = await answer;
  assert.equal(r.status, 200, r.text.slice(0, 300));
  assert.equal(r.text, countsToJson(text.counts));
  assertRetriedElsewhere(c, victim);
});

test('montecarlo with a seed: a worker SIGKILLed mid-job; bit-identical to the run without failure', async () => {
  const { workers, c } = await cluster(['--montecarlo-chunk', '500000']);
  const url = `${c.url}/montecarlo?points=100000000&seed=fault-test`;
  const clean = await call(url, { timeoutMs: 120_000 });
  assert.equal(clean.status, 200, clean.text);
  assert.equal(eventsWith(c.events, 'chunk failed on a worker; retrying').length, 0);
  c.events.length = 0;

  const answer = call(url, { timeoutMs: 120_000 });
  const victim = await killMidJob(c, workers, 5, () => true);
  const faulty = await answer;
  assert.equal(faulty.status, 200, faulty.text);
  const strip = (j: unknown): unknown => ({ ...(j as object), duration_ms: 0, workers: 0 });
  assert.deepEqual(strip(faulty.json), strip(clean.json));
  assert.ok(Object.is((faulty.json as { pi: number }).pi, (clean.json as { pi: number }).pi));
  assertRetriedElsewhere(c, victim);
});
