/**
 * Counts the words of a streamed body in the compute pool. The main thread cuts the body
 * into batches at word boundaries and deals them to word-count sessions (tasks/count-
 * session.ts): each session holds one thread and counts its batches into that thread's own
 * table, so the main thread adds up one table per session instead of one per batch.
 *
 * Bounds: at most `maxInFlight` sessions (the pool's threads) and two batches per session
 * are out at once, and the body is not read further meanwhile, so memory stays flat
 * whatever the body's size. A session ends after `sessionBatches` batches, when its
 * thread's table reaches `sessionWords` distinct words, or when no batch has come for
 * `idleMs` (a slow client), so an upload never holds a thread for long: other compute tasks
 * take their turn between sessions. An upload that fails or is given up ends its sessions the
 * same way rather than stopping their threads, so a client that disconnects mid-upload costs
 * no thread restart.
 */
import type { Readable } from 'node:stream';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { YoungGcPacer } from '../common/young-gc.js';
import { WordBatcher } from '../jobs/word-batcher.js';
import { maxWordOption } from '../jobs/word-chunker.js';
import { tooManyWords, type WordCounts, wordTooLong } from '../jobs/words.js';
import { WordTable } from '../jobs/words-table.js';
import { type ComputePool, cancelled, positiveInt } from './compute-pool.js';
import { type SessionMessage, type SessionReply, WORD_TOO_LONG } from './tasks/count-session.js';

export interface CountWordsStreamOptions {
  /** Size of the batches cut at word boundaries. @default 1048576 (1 MiB) */
  batchBytes?: number;
  /** Sessions (threads) counting at once. @default the pool's threads */
  maxInFlight?: number;
  /** Batches a session counts before it hands its counts back. @default 32 */
  sessionBatches?: number;
  /** Distinct words in a thread's table after which its session ends. @default 262144 */
  sessionWords?: number;
  /** A session that has had no batch for this long ends, freeing its thread. @default 20 */
  idleMs?: number;
  /** A longer word fails the count with wordTooLong() (413). @default Infinity */
  maxWordBytes?: number;
  /**
   * More distinct words fail the count with tooManyWords() (413). Checked as each session's
   * counts are added, so the total table outgrows it by at most one session's sessionWords.
   * @default Infinity
   */
  maxDistinctWords?: number;
  /** Stops reading and cancels the sessions. */
  signal?: AbortSignal;
}

/**
 * Body bytes between scavenges that free the socket's dead read buffers (common/young-gc.ts).
 * Those buffers are most of the main thread's malloc heap during an upload: every 2 MiB
 * rather than 8, a 200 MB upload peaks about 5 MB lower (Node 20: 125 against 130 MB, Node
 * 24: 144 against 148) for the same main-thread CPU; every 1 MiB costs CPU and saves nothing.
 */
const SCAVENGE_EVERY = 2 * 1024 * 1024;

/** Batches sent to a session ahead of its counting: its thread never waits for the next one. */
const SESSION_DEPTH = 2;

interface Session {
  readonly port: MessagePort;
  /** Batches sent and not yet handed back. */
  queued: number;
  sent: number;
  ending: boolean;
  idle: NodeJS.Timeout | undefined;
  /** A thread has taken the session (until then it waits in the pool's queue). */
  started: boolean;
  /** Drops the session while it still waits in the pool's queue. */
  readonly unqueue: AbortController;
  /** Its task has settled: the session is released once the last batch is handed back. */
  settled: boolean;
}

/** The words of a streamed body, word → count. */
export async function countWordsStream(
  body: AsyncIterable<Uint8Array> | Readable,
  pool: ComputePool,
  options: CountWordsStreamOptions = {},
): Promise<WordCounts> {
  return (await countWordsTable(body, pool, options)).toMap();
}

/** The words of a streamed body, as the table they were added up in (for WordTable.lines()). */
export async function countWordsTable(
  body: AsyncIterable<Uint8Array> | Readable,
  pool: ComputePool,
  options: CountWordsStreamOptions = {},
): Promise<WordTable> {
  const batchBytes = positiveInt('batchBytes', options.batchBytes ?? 1024 * 1024, 1);
  const limit = positiveInt('maxInFlight', options.maxInFlight ?? pool.stats().threads, 1);
  const sessionBatches = positiveInt('sessionBatches', options.sessionBatches ?? 32, 1);
  const maxWords = positiveInt('sessionWords', options.sessionWords ?? 256 * 1024, 1);
  const idleMs = positiveInt('idleMs', options.idleMs ?? 20, 0);
  const maxWordBytes = maxWordOption('countWordsStream', options.maxWordBytes);
  const maxDistinct =
    options.maxDistinctWords === undefined ? Number.POSITIVE_INFINITY : positiveInt('maxDistinctWords', options.maxDistinctWords, 1);
  const stop = new AbortController();
  const onAbort = (): void => stop.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  // The sessions' counts are added up as bytes: a string per distinct word only at the end.
  const total = new WordTable();
  /** Sessions whose task has not settled (ending ones included). */
  const live = new Set<Session>();
  /**
   * Sessions holding a thread or batch memory: released once their task has settled and their
   * batches are back (the task's result travels apart from the acks and may overtake the last
   * ones; a session started meanwhile would need memory beyond the bound above).
   */
  const running = new Set<Session>();
  let failure: { err: unknown } | undefined;
  let wake: (() => void) | undefined;
  const changed = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  stop.signal.addEventListener(
    'abort',
    () => {
      // Given up: sessions still waiting for a thread are dropped; running ones are ended.
      for (const s of [...live]) if (!s.started) s.unqueue.abort();
      changed();
    },
    { once: true },
  );

  // Batch memory goes to a thread and comes back with its ack: at most limit × depth + 1
  // buffers of `batchBytes` exist for the whole body (a batch grown by a long word gets its
  // own and is not kept), and each byte of the body is copied once, into one of them.
  const spare: ArrayBuffer[] = [];
  const batcher = new WordBatcher({
    batchBytes,
    maxWordBytes,
    allocate: (size) => (size === batchBytes ? spare.pop() : undefined) ?? new ArrayBuffer(size),
  });

  const end = (s: Session): void => {
    if (s.ending) return;
    s.ending = true;
    clearTimeout(s.idle);
    s.port.postMessage({ end: true } satisfies SessionMessage);
  };

  const release = (s: Session): void => {
    if (!running.delete(s)) return;
    s.port.close();
    changed();
  };
  const allReleased = async (): Promise<void> => {
    while (running.size > 0) {
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  };

  const start = (): Session => {
    const { port1, port2 } = new MessageChannel();
    const s: Session = {
      port: port1,
      queued: 0,
      sent: 0,
      ending: false,
      idle: undefined,
      started: false,
      unqueue: new AbortController(),
      settled: false,
    };
    port1.on('message', (ack: SessionReply) => {
      if ('started' in ack) {
        s.started = true;
        return;
      }
      s.queued--;
      if (ack.data.buffer.byteLength === batchBytes) spare.push(ack.data.buffer as ArrayBuffer);
      if (ack.tooLong) {
        failure ??= { err: wordTooLong(maxWordBytes) };
        stop.abort(failure.err);
      }
      if (ack.full) end(s);
      else if (s.queued === 0 && !s.ending) s.idle = setTimeout(() => end(s), idleMs);
      if (s.settled && s.queued === 0) release(s);
      changed();
    });
    void pool
      // Aborted only while queued: stopping a running task ends its thread (piscina starts
      // another), so an upload given up ends its running sessions instead, which takes a
      // thread at most its two batches in hand; only the pool's task timeout stops a thread.
      .run('countwordsSession', { port: port2, maxWords, maxWordBytes }, { signal: s.unqueue.signal, transfer: [port2] })
      .then(
        (counts) => {
          total.addPacked(counts);
          if (total.size > maxDistinct) {
            failure ??= { err: tooManyWords(maxDistinct) };
            stop.abort(failure.err);
          }
        },
        (err: unknown) => {
          failure ??= { err: err instanceof Error && err.message === WORD_TOO_LONG ? wordTooLong(maxWordBytes) : err };
          stop.abort(err);
        },
      )
      .finally(() => {
        s.ending = true;
        s.settled = true;
        clearTimeout(s.idle);
        live.delete(s);
        // A failed task (a thread gone) may never hand its batches back.
        if (s.queued === 0 || failure !== undefined) release(s);
      });
    running.add(s);
    live.add(s);
    return s;
  };

  const dispatch = async (data: Uint8Array): Promise<void> => {
    for (;;) {
      if (failure !== undefined || stop.signal.aborted) return;
      let to: Session | undefined;
      for (const s of live) if (!s.ending && s.queued < SESSION_DEPTH && (to === undefined || s.queued < to.queued)) to = s;
      if (to === undefined && running.size < limit) to = start();
      if (to !== undefined) {
        clearTimeout(to.idle);
        to.port.postMessage({ data } satisfies SessionMessage, [data.buffer as ArrayBuffer]);
        to.queued++;
        if (++to.sent >= sessionBatches) end(to);
        return;
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  };

  const pacer = new YoungGcPacer(SCAVENGE_EVERY);
  try {
    for await (const piece of body as AsyncIterable<Uint8Array>) {
      if (failure !== undefined || stop.signal.aborted) break;
      pacer.add(piece.length);
      for (const batch of batcher.push(piece)) await dispatch(batch);
    }
    const last = batcher.end();
    if (last !== null) await dispatch(last);
    for (const s of live) end(s);
    await allReleased();
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    if (failure !== undefined || stop.signal.aborted) stop.abort();
    for (const s of live) end(s);
    await allReleased();
  }
  if (failure !== undefined) throw failure.err;
  if (options.signal?.aborted) throw cancelled(options.signal.reason);
  return total;
}
