import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fibonacci, FIBONACCI_MAX } from '../../src/worker/tasks/fibonacci.js';
import { reverseGraphemes } from '../../src/worker/tasks/reverse-graphemes.js';
import { montecarlo, montecarloChunk, montecarloPlan, montecarloChunkCount, montecarloChunkPoints } from '../../src/jobs/montecarlo.js';
import { normalizeSeed, chunkState } from '../../src/jobs/seeded-random.js';
import { simulateCpu } from '../../src/worker/tasks/simulate-cpu.js';
import { transferableSymbol, valueSymbol } from 'piscina';
import * as entry from '../../src/worker/tasks/entry.js';
import { WORD_TOO_LONG } from '../../src/worker/tasks/count-session.js';
import { MessageChannel } from 'node:worker_threads';
import type { PackedCounts } from '../../src/jobs/words-table.js';

function slowFib(n: number): string {
  let a = 0n;
  let b = 1n;
  for (let i = 0; i < n; i++) [a, b] = [b, a + b];
  return a.toString();
}

test('fibonacci: known values and agreement with the simple loop', () => {
  assert.equal(fibonacci(0), '0');
  assert.equal(fibonacci(1), '1');
  assert.equal(fibonacci(2), '1');
  assert.equal(fibonacci(10), '55');
  assert.equal(fibonacci(93), '12200160415121876738');
  assert.equal(fibonacci(100), '354224848179261915075');
  for (let n = 0; n < 300; n++) assert.equal(fibonacci(n), slowFib(n), `F(${n})`);
  const f10k = fibonacci(10000);
  assert.equal(f10k, slowFib(10000));
  assert.equal(f10k.length, 2090);
  assert.ok(f10k.startsWith('33644764876431783266'));
});

test('fibonacci rejects what it cannot answer', () => {
  for (const bad of [-1, 1.5, NaN, FIBONACCI_MAX + 1]) assert.throws(() => fibonacci(bad), RangeError);
});

test('reverseGraphemes keeps user-perceived characters whole', () => {
  assert.equal(reverseGraphemes(''), '');
  assert.equal(reverseGraphemes('abc'), 'cba');
  assert.equal(reverseGraphemes('e\u0301a'), 'ae\u0301');
  assert.equal(reverseGraphemes('👨‍👩‍👧x'), 'x👨‍👩‍👧');
  assert.equal(reverseGraphemes('🇫🇷🇩🇪'), '🇩🇪🇫🇷');
  assert.equal(reverseGraphemes('👍🏽!😀'), '😀!👍🏽');
  assert.equal(reverseGraphemes('한국어'), '어국한');
});

test('montecarloPlan: chunk sizes depend only on the total and the chunk size', () => {
  assert.deepEqual(montecarloPlan(10, 3), [3, 3, 3, 1]);
  assert.deepEqual(montecarloPlan(9, 3), [3, 3, 3]);
  assert.deepEqual(montecarloPlan(2, 5), [2]);
  assert.deepEqual(montecarloPlan(0, 5), []);
  assert.equal(montecarloChunkCount(1e10, 1e6), 10_000);
  assert.equal(montecarloChunkPoints(1e10 + 7, 1e6, 10_000), 7);
  assert.throws(() => montecarloPlan(10, 0), RangeError);
  assert.throws(() => montecarloPlan(-1, 5), RangeError);
});

test('montecarloChunk: seeded chunks are reproducible and depend on (seed, index, points) only', () => {
  // Pinned values: a change here changes every seeded answer the service ever gave.
  assert.equal(montecarloChunk(100_000, 'dhttp', 0), 78546);
  assert.equal(montecarloChunk(100_000, 'dhttp', 1), 78483);
  assert.equal(montecarloChunk(100_000, '42', 2 ** 33 + 5), 78634);
  assert.equal(montecarloChunk(50_000, 'x', 3), montecarloChunk(50_000, 'x', 3));
  assert.notEqual(montecarloChunk(50_000, 'x', 3), montecarloChunk(50_000, 'x', 4));
  assert.notDeepEqual(chunkState('ab', 1), chunkState('a', 0));
  assert.notDeepEqual(chunkState('x', 2 ** 32), chunkState('x', 0));
  assert.equal(montecarloChunk(0, 'x', 0), 0);
});

test('montecarlo: the sequential job equals the sum of its chunks in any order', () => {
  const plan = montecarloPlan(250_001, 100_000);
  const chunks = plan.map((p, k) => montecarloChunk(p, 'seed-1', k));
  const reversedSum = chunks
    .slice()
    .reverse()
    .reduce((a, b) => a + b, 0);
  assert.equal(montecarlo(250_001, 100_000, 'seed-1'), reversedSum);
  const pi = (4 * reversedSum) / 250_001;
  assert.ok(Math.abs(pi - Math.PI) < 0.02, `pi ${pi}`);
  const unseeded = (4 * montecarlo(400_000, 100_000)) / 400_000;
  assert.ok(Math.abs(unseeded - Math.PI) < 0.02, `pi ${unseeded}`);
});

test('normalizeSeed: 1-64 of [A-Za-z0-9._-] or an integer', () => {
  assert.equal(normalizeSeed('abc-DEF_1.2'), 'abc-DEF_1.2');
  assert.equal(normalizeSeed(42), '42');
  assert.equal(normalizeSeed('-7'), '-7');
  assert.equal(normalizeSeed('x'.repeat(64)), 'x'.repeat(64));
  for (const bad of ['', 'x'.repeat(65), 'a b', 'é', 'a/b', '1e3+']) assert.equal(normalizeSeed(bad), undefined, bad);
  assert.equal(normalizeSeed(1.5), undefined);
});

test('simulateCpu burns CPU for about the requested time', () => {
  const cpuBefore = process.cpuUsage();
  const ms = simulateCpu(0.05, 'test');
  const cpuMs = process.cpuUsage(cpuBefore).user / 1000;
  assert.ok(ms >= 50 && ms < 2000, `elapsed ${ms}`);
  // Real work, not a sleep: a sleeping 50 ms costs well under 1 ms of CPU. The floor is low
  // because a loaded machine may preempt the loop for most of its wall time.
  assert.ok(cpuMs >= 5, `cpu ${cpuMs}`);
  assert.throws(() => simulateCpu(-1, 'x'), RangeError);
});

test('task entry: one named export per task', () => {
  assert.equal(entry.fibonacci({ n: 10 }), '55');
  assert.equal(entry.reverse({ text: 'ab' }), 'ba');
  assert.equal(entry.compute({ number: 12 }), 144);
  assert.equal(entry.montecarloChunk({ points: 100_000, chunkIndex: 0, seed: 'dhttp' }), 78546);
  assert.equal(entry.montecarlo({ points: 100_000, chunkSize: 100_000, seed: 'dhttp' }), 78546);
  assert.ok(entry.simulate({ seconds: 0, task: 't' }) >= 0);
});

test('task entry: a word-count session counts what its port brings, hands each batch back, then its counts', async () => {
  const session = async (
    texts: string[],
    maxWordBytes = Number.POSITIVE_INFINITY,
  ): Promise<{ counts: PackedCounts; backs: Uint8Array[]; moved: unknown[] }> => {
    const { port1, port2 } = new MessageChannel();
    const backs: Uint8Array[] = [];
    port1.on('message', (m: { data?: Uint8Array }) => {
      if (m.data !== undefined) backs.push(m.data);
    });
    const result = entry.countwordsSession({ port: port2, maxWords: 1000, maxWordBytes }) as Promise<unknown>;
    for (const t of texts) port1.postMessage({ data: new Uint8Array(Buffer.from(t)) });
    port1.postMessage({ end: true });
    const moved = (await result) as Record<symbol, unknown>;
    // The acks travel on the port, the result does not: let the port's events run first.
    for (let i = 0; i < 50 && backs.length < texts.length; i++) await new Promise((r) => setTimeout(r, 1));
    port1.close();
    return { counts: moved[valueSymbol] as PackedCounts, backs, moved: moved[transferableSymbol] as unknown[] };
  };
  // Keys come with ASCII folded only; the receiving table lower-cases the rest.
  const first = await session(["It's it's", 'ÉTÉ été']);
  assert.deepEqual(
    { words: Buffer.from(first.counts.words).toString(), counts: [...first.counts.counts] },
    { words: "it's ÉtÉ été ", counts: [2, 1, 1] },
  );
  assert.equal(first.backs.length, 2, 'every batch is handed back');
  // A movable for piscina: the counts' buffers are transferred, not copied.
  assert.deepEqual(first.moved, [first.counts.words.buffer, first.counts.hashes.buffer, first.counts.counts.buffer]);
  // The thread's table is reused: a second session starts from nothing.
  const second = await session(['only once']);
  assert.deepEqual([Buffer.from(second.counts.words).toString(), [...second.counts.counts]], ['only once ', [1, 1]]);
  // A word of more than maxWordBytes is flagged on its batch's ack and on every later one,
  // and the task fails; a word of exactly that many is counted.
  const counted = await session(['four five', 'four'], 4);
  assert.deepEqual([...counted.counts.counts], [2, 1]);
  const acks: Array<{ tooLong?: true }> = [];
  const { port1, port2 } = new MessageChannel();
  port1.on('message', (m: { data?: Uint8Array; tooLong?: true }) => {
    if (m.data !== undefined) acks.push(m);
  });
  const failed = entry.countwordsSession({ port: port2, maxWords: 1000, maxWordBytes: 4 }) as Promise<unknown>;
  for (const t of ['four five', 'fifty', 'ok']) port1.postMessage({ data: new Uint8Array(Buffer.from(t)) });
  port1.postMessage({ end: true });
  await assert.rejects(failed, { message: WORD_TOO_LONG });
  for (let i = 0; i < 50 && acks.length < 3; i++) await new Promise((r) => setTimeout(r, 1));
  port1.close();
  assert.deepEqual(
    acks.map((a) => a.tooLong === true),
    [false, true, true],
  );
});
