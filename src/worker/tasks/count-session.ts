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
 * thread's table stays bounded; `tooLong` when the batch holds a word longer than
 * `maxWordBytes`: the upload then fails with 413) and ends the task with the packed counts.
 */
import type { MessagePort } from 'node:worker_threads';
import { HttpError } from '../../common/errors.js';
import type { PackedCounts } from '../../jobs/words-table.js';
import { WasmWordTable } from '../../jobs/words-wasm.js';

export interface SessionArgs {
  readonly port: MessagePort;
  /** Distinct words after which the thread asks for the session to end. */
  readonly maxWords: number;
  /** The longest word accepted (--max-word-bytes). */
  readonly maxWordBytes: number;
}

export type SessionMessage = { readonly data: Uint8Array } | { readonly end: true };
/** To the main thread: the session has a thread (sent first), then one ack per batch. */
export type SessionReply = { readonly started: true } | { readonly data: Uint8Array; readonly full: boolean; readonly tooLong?: true };

/**
 * One table per thread, emptied for each session: a thread runs one task at a time, and a
 * table made anew per session would leave megabytes of outgrown memory that the thread's
 * collector, seeing almost no heap allocation, frees late.
 */
let table: WasmWordTable | undefined;

/**
 * The message the session's task fails with when a batch held a word over `maxWordBytes`.
 * The task's result, not only the batch's ack, has to say so: the two travel on different
 * channels, and the result may arrive first.
 */
export const WORD_TOO_LONG = 'count-session: a word is longer than maxWordBytes';

export function countSession({ port, maxWords, maxWordBytes }: SessionArgs): Promise<PackedCounts> {
  table ??= new WasmWordTable();
  table.reset();
  const counts = table;
  port.postMessage({ started: true } satisfies SessionReply);
  let tooLong = false;
  return new Promise((resolve, reject) => {
    port.on('message', (m: SessionMessage) => {
      if ('data' in m) {
        try {
          // After a refused word the upload is lost: later batches are only handed back.
          if (!tooLong) counts.count(m.data, maxWordBytes);
        } catch (err) {
          if (!(err instanceof HttpError)) throw err;
          tooLong = true;
        }
        const ack: SessionReply = tooLong ? { data: m.data, full: true, tooLong } : { data: m.data, full: counts.size >= maxWords };
        port.postMessage(ack, [m.data.buffer as ArrayBuffer]);
        return;
      }
      port.close();
      if (tooLong) reject(new Error(WORD_TOO_LONG));
      else resolve(counts.pack());
    });
  });
}
