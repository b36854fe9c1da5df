/**
 * Multi-host faults: a dispatcher, three workers and a client, each on its own host (a
 * network namespace with its own address), joined by a bridge (test/helpers/netns.ts).
 * Under load from the client:
 *  1. a worker is black-holed (its bridge port detached: no reset, no carrier loss), then
 *     restored;
 *  2. a worker is black-holed in the middle of a /countwords job;
 *  3. a worker is SIGKILLed, then started again;
 *  4. the dispatcher's own link flaps.
 * Each phase prints its figures (detection time, requests sent and failed, chunks retried,
 * rejoin time) and asserts: no idempotent request fails, and while a worker is black-holed
 * no request takes more than twice the time the dispatcher took to detect it.
 *
 * Root and `ip netns` only; skipped with the reason otherwise. Everything is removed at
 * the end, failed or not (and by the next run if this one was killed).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { CLI_ENTRY } from '../../bench/cluster-process.js';
import { topK } from '../../src/jobs/words.js';
import { referenceCountWords as countWords } from '../helpers/words-reference.js';
import type { LoadResult, RequestRecord } from '../helpers/load-client.js';
import { LogProcess, type LogLine } from '../helpers/log-process.js';
import { Lab, labUnavailable } from '../helpers/netns.js';
import { wordCorpus } from '../helpers/word-corpus.js';

const FROM_SOURCE = import.meta.url.endsWith('.ts');
const NODE_ARGS = FROM_SOURCE ? ['--import', 'tsx'] : [];
const LOAD_CLIENT = new URL(`../helpers/load-client.${FROM_SOURCE ? 'ts' : 'js'}`, import.meta.url).pathname;
const WORKERS = ['w1', 'w2', 'w3'] as const;
const PORT = 8081;
const IDEMPOTENT = new Set(['GET', 'HEAD']);
/** The load: quick answers, answers that stay in flight a while (so a fault catches some), one non-idempotent route. */
const TARGETS = ['/fibonacci?num=60', '/sleep?seconds=0.2', '/ping', '/hash?text=multi-host', 'POST /api/v1/compute/fast'];

const skip = await labUnavailable();

let lab: Lab;
let dir: string;
let dispatcher: LogProcess;
const workers = new Map<string, LogProcess>();
const dispatcherUrl = (): string => `http://${lab.host('d').address}:8080`;

function startWorker(name: string): LogProcess {
  const w = new LogProcess(
    lab.spawn(name, process.execPath, [
      ...NODE_ARGS,
      CLI_ENTRY,
      'worker',
      '--host',
      lab.host(name).address,
      '--port',
      String(PORT),
      '--id',
      name,
      '--threads',
      '1',
      '--data-dir',
      dir,
      '--log-level',
      'warn',
    ]),
  );
  workers.set(name, w);
  return w;
}

/** The load client as a process on host c; resolves with its records. */
async function load(options: { durationMs: number; connections: number; targets?: readonly string[] }): Promise<RequestRecord[]> {
  const spec = { mode: 'load', urls: [dispatcherUrl()], targets: options.targets ?? TARGETS, ...options };
  const client = new LogProcess(lab.spawn('c', process.execPath, [...NODE_ARGS, LOAD_CLIENT, JSON.stringify(spec)]));
  const line = await client.waitFor(() => true, 0, options.durationMs + 45_000, 'the load client result');
  const result = line.line as unknown as LoadResult & { error?: string };
  assert.equal(result.error, undefined, `load client: ${result.error} ${client.otherOutput}`);
  return [...result.records];
}

const isEvent = (event: string, worker?: string) => (l: LogLine) => l.event === event && (worker === undefined || l.worker === worker);

interface Summary {
  sent: number;
  failed: number;
  failedIdempotent: number;
  failedOther: number;
  slowestMs: number;
}

function summarize(records: readonly RequestRecord[], window?: { from: number; to: number }): Summary {
  const inWindow = window === undefined ? records : records.filter((r) => r.start < window.to && r.start + r.ms > window.from);
  const failed = inWindow.filter((r) => r.status === 0 || r.status >= 500);
  return {
    sent: inWindow.length,
    failed: failed.length,
    failedIdempotent: failed.filter((r) => IDEMPOTENT.has(r.method)).length,
    failedOther: failed.filter((r) => !IDEMPOTENT.has(r.method)).length,
    slowestMs: Math.round(Math.max(0, ...inWindow.map((r) => r.ms))),
  };
}

function failures(records: readonly RequestRecord[]): string {
  return JSON.stringify(records.filter((r) => r.status === 0 || r.status >= 500).slice(0, 5));
}

function report(phase: string, figures: Record<string, unknown>): void {
  console.log(
    `multi-host ${phase}: ${Object.entries(figures)
      .map(([k, v]) => `${k}=${typeof v === 'number' ? Math.round(v) : v}`)
      .join(' ')}`,
  );
}

describe('multi-host faults (network namespaces)', {
  skip: skip === undefined ? false : `multi-host tests skipped: ${skip}`,
  timeout: 180_000,
}, () => {
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dhttp-multihost-'));
    lab = await Lab.create(['d', ...WORKERS, 'c']);
    for (const w of WORKERS) startWorker(w);
    const started = Date.now();
    dispatcher = new LogProcess(
      lab.spawn('d', process.execPath, [
        ...NODE_ARGS,
        CLI_ENTRY,
        'dispatcher',
        '--host',
        lab.host('d').address,
        '--port',
        '8080',
        '--upstreams',
        WORKERS.map((w) => `http://${lab.host(w).address}:${PORT}`).join(','),
        '--data-dir',
        dir,
        '--countwords-chunk',
        '256KiB',
        // Chunk events (job progress) are logged at debug.
        '--log-level',
        'debug',
      ]),
    );
    for (const w of WORKERS) await dispatcher.waitFor(isEvent('upstream_up', w), started - 1000, 20_000, `${w} up`);
  });

  after(async () => {
    const left = lab?.leftovers.bind(lab);
    await lab?.destroy();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    if (left !== undefined) assert.deepEqual(left(), [], 'every namespace of the lab is removed');
  });

  it('a black-holed worker mid-load: no failed idempotent request, none slower than 2 × detection', async () => {
    const running = load({ durationMs: 12_000, connections: 8 });
    await sleep(3000);
    const holed = Date.now();
    await lab.blackhole('w1');
    const down = await dispatcher.waitFor(isEvent('upstream_down', 'w1'), holed, 15_000, 'w1 marked down');
    await sleep(Math.max(0, holed + 5000 - Date.now()));
    const restored = Date.now();
    await lab.restore('w1');
    const up = await dispatcher.waitFor(isEvent('upstream_up', 'w1'), restored, 15_000, 'w1 back up');
    const records = await running;
    const detectionMs = down.at - holed;
    const all = summarize(records);
    const during = summarize(records, { from: holed, to: restored });
    const retries = dispatcher.since(holed, isEvent('retry')).length;
    report('black-hole', {
      detection_ms: detectionMs,
      sent: all.sent,
      failed: all.failed,
      failed_idempotent: all.failedIdempotent,
      failed_post: all.failedOther,
      sent_while_holed: during.sent,
      slowest_while_holed_ms: during.slowestMs,
      limit_ms: 2 * detectionMs,
      retries,
      rejoin_ms: up.at - restored,
    });
    assert.ok(all.sent > 100, `load ran: ${all.sent}`);
    assert.equal(all.failedIdempotent, 0, failures(records));
    assert.ok(
      during.slowestMs <= 2 * detectionMs,
      `slowest request while w1 was black-holed: ${during.slowestMs} ms > 2 × ${detectionMs} ms`,
    );
  });

  it('a worker black-holed mid-/countwords: the job completes with exact counts', async () => {
    const corpus = wordCorpus(12 * 1024 * 1024);
    const file = join(dir, 'corpus.txt');
    const parts: Buffer[] = [];
    for await (const piece of corpus.body()) parts.push(piece);
    await writeFile(file, Buffer.concat(parts));
    const expected = topK(countWords(Buffer.concat(parts)), 5);
    const started = Date.now();
    const client = new LogProcess(
      lab.spawn('c', process.execPath, [
        ...NODE_ARGS,
        LOAD_CLIENT,
        JSON.stringify({ mode: 'post', url: `${dispatcherUrl()}/countwords?top=5`, file }),
      ]),
    );
    const job = await dispatcher.waitFor(isEvent('job_start'), started, 15_000, 'the job start');
    await dispatcher.waitFor((l) => l.event === 'chunk_done' && l.job === job.line.job, started, 15_000, 'a first chunk');
    const holed = Date.now();
    await lab.blackhole('w2');
    const down = await dispatcher.waitFor(isEvent('upstream_down', 'w2'), holed, 15_000, 'w2 marked down');
    const answer = (await client.waitFor(() => true, 0, 90_000, 'the /countwords answer')).line as unknown as {
      status: number;
      body: string;
      ms: number;
    };
    const restored = Date.now();
    await lab.restore('w2');
    const up = await dispatcher.waitFor(isEvent('upstream_up', 'w2'), restored, 15_000, 'w2 back up');
    const done = await dispatcher.waitFor((l) => l.event === 'job_done' && l.job === job.line.job, started, 5000, 'job_done');
    const jobLines = dispatcher.since(started, (l) => l.job === job.line.job);
    const retries = jobLines.filter((t) => t.line.event === 'chunk_retry');
    const retried = retries.length;
    const reasons = [...new Set(retries.map((t) => String(t.line.reason).split(':')[0]))].join('|') || 'none';
    const sentToW2 = jobLines.filter((t) => t.line.event === 'chunk_send' && t.line.worker === 'w2' && t.at >= holed).length;
    report('countwords', {
      bytes: corpus.bytes,
      chunks: Number(done.line.chunks ?? 0),
      detection_ms: down.at - holed,
      job_ms: answer.ms,
      after_hole_ms: answer.ms - (holed - started),
      chunks_retried: retried,
      retry_reasons: reasons,
      chunks_sent_to_w2_after_hole: sentToW2,
      status: answer.status,
      rejoin_ms: up.at - restored,
    });
    assert.equal(answer.status, 200, answer.body.slice(0, 500));
    const got = JSON.parse(answer.body) as typeof expected;
    assert.deepEqual(got, JSON.parse(JSON.stringify(expected)), 'counts exact');
    // What the job still had to do after the hole takes a few seconds here; a chunk left
    // waiting out the upstream timeout (a minute by default) is what this catches.
    const afterHole = answer.ms - (holed - started);
    assert.ok(afterHole <= 2 * (down.at - holed) + 10_000, `the job ended ${afterHole} ms after the hole`);
  });

  it('a SIGKILLed worker under load: no failed idempotent request; it rejoins when restarted', async () => {
    const running = load({ durationMs: 8000, connections: 8 });
    await sleep(2000);
    const killed = Date.now();
    workers.get('w3')?.child.kill('SIGKILL');
    const down = await dispatcher.waitFor(isEvent('upstream_down', 'w3'), killed, 15_000, 'w3 marked down');
    await sleep(2000);
    const restarted = Date.now();
    startWorker('w3');
    const up = await dispatcher.waitFor(isEvent('upstream_up', 'w3'), restarted, 20_000, 'w3 back up');
    const records = await running;
    const all = summarize(records);
    report('sigkill', {
      detection_ms: down.at - killed,
      sent: all.sent,
      failed: all.failed,
      failed_idempotent: all.failedIdempotent,
      failed_post: all.failedOther,
      slowest_ms: all.slowestMs,
      retries: dispatcher.since(killed, isEvent('retry')).length,
      rejoin_ms: up.at - restarted,
    });
    assert.equal(all.failedIdempotent, 0, failures(records));
  });

  it("the dispatcher's own link flapping: no failed idempotent request; every worker comes back", async () => {
    const running = load({ durationMs: 10_000, connections: 8 });
    await sleep(1500);
    const flapped = Date.now();
    for (let i = 0; i < 2; i++) {
      await lab.linkDown('d');
      await sleep(2500);
      await lab.linkUp('d');
      await sleep(1500);
    }
    const lastUp = Date.now() - 1500;
    const downs = dispatcher.since(flapped, isEvent('upstream_down')).length;
    // A worker whose last verdict since the first flap was "down" must come back.
    const wentDown = WORKERS.filter(
      (w) =>
        dispatcher.since(flapped, (l) => l.worker === w && (l.event === 'upstream_down' || l.event === 'upstream_up')).at(-1)?.line
          .event === 'upstream_down',
    );
    const ups = await Promise.all(wentDown.map((w) => dispatcher.waitFor(isEvent('upstream_up', w), lastUp, 15_000, `${w} back`)));
    const records = await running;
    const all = summarize(records);
    const retries = dispatcher.since(flapped, isEvent('retry')).map((l) => l.line);
    const kinds = [...new Set(retries.map((r) => `${r.kind}:${String(r.error).split(':')[0]}`))].join('|') || 'none';
    report('link-flap', {
      flaps: 2,
      down_ms_each: 2500,
      workers_marked_down: downs,
      retries: retries.length,
      retry_kinds: kinds,
      most_retries_used: Math.max(0, ...retries.map((r) => Number(r.retries_used))),
      sent: all.sent,
      failed: all.failed,
      failed_idempotent: all.failedIdempotent,
      failed_post: all.failedOther,
      slowest_ms: all.slowestMs,
      rejoin_ms: Math.max(0, ...ups.map((u) => u.at - lastUp)),
    });
    assert.equal(all.failedIdempotent, 0, failures(records));
  });
});
