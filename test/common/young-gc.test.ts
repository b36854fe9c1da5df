/**
 * The scavenge on demand (src/common/young-gc.ts): it runs a real minor collection, as the
 * process's own GC entries show; the pacer runs one per `everyBytes` of body; and a
 * countwords upload runs them as it reads.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { constants, type PerformanceEntry, PerformanceObserver } from 'node:perf_hooks';
import { collectYoung, YoungGcPacer } from '../../src/common/young-gc.js';
import { ComputePool } from '../../src/worker/compute-pool.js';
import { countWordsStream } from '../../src/worker/count-words-stream.js';

/** Minor collections while `run` runs (GC entries arrive asynchronously: a tick later). */
async function minorGcsDuring(run: () => Promise<unknown> | unknown): Promise<number> {
  let minor = 0;
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries())
      if ((e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR) minor++;
  });
  observer.observe({ entryTypes: ['gc'] });
  try {
    await run();
    await new Promise((r) => setTimeout(r, 50));
  } finally {
    observer.disconnect();
  }
  return minor;
}

test('collectYoung runs a minor collection', async () => {
  assert.ok((await minorGcsDuring(() => collectYoung())) >= 1);
  // Again: the gc function is fetched once and kept.
  assert.ok((await minorGcsDuring(() => collectYoung())) >= 1);
});

test('the pacer collects once per everyBytes of body, not per piece', () => {
  let runs = 0;
  const pacer = new YoungGcPacer(1000, () => runs++);
  pacer.add(999);
  assert.equal(runs, 0);
  pacer.add(1);
  assert.equal(runs, 1);
  pacer.add(2500);
  assert.equal(runs, 2, 'a piece past several thresholds runs one collection and starts counting again');
  pacer.add(999);
  assert.equal(runs, 2);
  pacer.add(1);
  assert.equal(runs, 3);
});

test('a countwords upload scavenges as it reads: one per 2 MiB of body', async () => {
  const pool = new ComputePool({ threads: 1 });
  try {
    // 27 bytes × 2427: just under 64 KiB, whole words.
    const text = Buffer.from('lorem ipsum dolor sit amet '.repeat(2427));
    // 80 MiB in pieces of about 64 KiB, each a buffer of its own, as a socket delivers them.
    async function* body(): AsyncGenerator<Buffer> {
      for (let sent = 0; sent < 80 * 1024 * 1024; sent += text.length) yield Buffer.from(text);
    }
    let counts: Map<string, number> | undefined;
    const minor = await minorGcsDuring(async () => {
      counts = await countWordsStream(body(), pool);
    });
    assert.equal(counts?.get('lorem'), Math.ceil((80 * 1024 * 1024) / text.length) * 2427);
    assert.ok(minor >= 30, `${minor} minor collections (40 expected)`);
  } finally {
    await pool.close({ force: true });
  }
});
