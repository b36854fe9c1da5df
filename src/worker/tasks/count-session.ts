/**
 * A word-count session: one compute thread counts a run of an upload's batches into one
 * table of its own and hands the counts back once, when the main thread ends the session.
 * Counts handed back per batch would make the main thread add up every batch's distinct
 * words (≈ 25 000 per MiB of ordinary text, a cache miss or more each), and that merge, not
 * the counting, would bound an upload's speed.
 *
 * Protocol on the session's port, in order: the thread says `{ started: true }` when it takes
 * the session; the main thread sends `{ data }` (a batch cut at
 * word boundaries, its memory moved) any number of times, then `{ end: true }`; the thread
 * answers each batch with `{ data, full }` (the memory moved back for reuse; `full` once the
 * table holds `maxWords` distinct words, so that the main thread ends the session and a
 * thread's table stays bounded) and ends the task with the packed counts.
 */
import type { MessagePort } from 'node:worker_threads';
import { countWordsInto } from '../../jobs/words-counter.js';
import { type PackedCounts, WordTable } from '../../jobs/words-table.js';

export interface SessionArgs {
  readonly port: MessagePort;
  /** Distinct words after which the thread asks for the session to end. */
  readonly maxWords: number;
}

export type SessionMessage = { readonly data: Uint8Array } | { readonly end: true };
/** To the main thread: the session has a thread (sent first), then one ack per batch. */
export type SessionReply = { readonly started: true } | { readonly data: Uint8Array; readonly full: boolean };

/**
 * One table per thread, emptied for each session: a thread runs one task at a time, and a
 * table grown anew per session would leave megabytes of outgrown arrays that the thread's
 * collector, seeing almost no heap allocation, frees late (≈ 25 MB held per thread).
 */
let table: WordTable | undefined;

export function countSession({ port, maxWords }: SessionArgs): Promise<PackedCounts> {
  table ??= new WordTable();
  table.reset();
  const counts = table;
  port.postMessage({ started: true } satisfies SessionReply);
  return new Promise((resolve) => {
    port.on('message', (m: SessionMessage) => {
      if ('data' in m) {
        countWordsInto(m.data, counts);
        const ack: SessionReply = { data: m.data, full: counts.size >= maxWords };
        port.postMessage(ack, [m.data.buffer as ArrayBuffer]);
        return;
      }
      port.close();
      resolve(counts.pack());
    });
  });
}
