/**
 * The piscina task file: one named export per task, each taking one argument object.
 * Runs inside worker threads; the main thread only imports its types.
 */
import { setPriority } from 'node:os';
import { isMainThread } from 'node:worker_threads';
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { fibonacci as fib } from './fibonacci.js';
import { reverseGraphemes } from './reverse-graphemes.js';
import { montecarlo as mcJob, montecarloChunk as mcChunk } from '../../jobs/montecarlo.js';
import { simulateCpu } from './simulate-cpu.js';
import type { PackedCounts } from '../../jobs/words-table.js';
import { countSession, type SessionArgs } from './count-session.js';

// Compute threads yield the CPU to the event loop: on Linux nice is per thread, and
// setPriority(10) from inside a thread lowers that thread only, so /ping and I/O on the
// main thread stay fast while every compute thread spins (worker acceptance (2)).
// Elsewhere (macOS) it would renice the whole process, and a main thread that imports
// this file must keep its priority.
if (!isMainThread && process.platform === 'linux') {
  try {
    setPriority(10);
  } catch {
    // Not permitted here: tasks still run, at normal priority.
  }
}

/** Every task: its argument object and its result. */
export interface TaskMap {
  fibonacci: { args: { n: number }; result: string };
  reverse: { args: { text: string }; result: string };
  /** A whole job in this thread; `seed` must already be normalised. */
  montecarlo: { args: { points: number; chunkSize: number; seed?: string }; result: number };
  /** One chunk of a distributed job. */
  /** Chunks chunkIndex … chunkIndex+count-1 (count defaults to 1), `points` each: summed inside counts. */
  montecarloChunk: { args: { points: number; chunkIndex: number; seed?: string; count?: number }; result: number };
  /** Returns elapsed milliseconds. */
  simulate: { args: { seconds: number; task: string }; result: number };
  /** A run of an upload's batches counted into one table, sent over `port` (count-session.ts). */
  countwordsSession: { args: SessionArgs; result: PackedCounts };
  /** POST /api/v1/compute/intensive: number². */
  compute: { args: { number: number }; result: number };
}

export type TaskName = keyof TaskMap;
export type TaskArgs<K extends TaskName> = TaskMap[K]['args'];
export type TaskResult<K extends TaskName> = TaskMap[K]['result'];

/** A task that answers at once (every task but a word-count session). */
type Sync = { [K in TaskName]: (args: TaskArgs<K>) => TaskResult<K> };
type Handlers = { [K in TaskName]: (args: TaskArgs<K>) => TaskResult<K> | Promise<TaskResult<K>> };

export const fibonacci: Sync['fibonacci'] = ({ n }) => fib(n);
export const reverse: Sync['reverse'] = ({ text }) => reverseGraphemes(text);
export const montecarlo: Sync['montecarlo'] = ({ points, chunkSize, seed }) => mcJob(points, chunkSize, seed);
export const montecarloChunk: Sync['montecarloChunk'] = ({ points, chunkIndex, seed, count = 1 }) => {
  let inside = 0;
  for (let k = chunkIndex; k < chunkIndex + count; k++) inside += mcChunk(points, seed, k);
  return inside;
};
export const simulate: Sync['simulate'] = ({ seconds, task }) => simulateCpu(seconds, task);
export const countwordsSession: Handlers['countwordsSession'] = async (args) => {
  const counts = await countSession(args);
  // Handed to piscina as a movable: the counts' buffers go in the transfer list, not copied.
  return move({
    [transferableSymbol]: [counts.words.buffer, counts.hashes.buffer, counts.counts.buffer],
    [valueSymbol]: counts,
  }) as unknown as PackedCounts;
};
export const compute: Sync['compute'] = ({ number }) => number * number;

const HANDLERS: Handlers = { fibonacci, reverse, montecarlo, montecarloChunk, simulate, countwordsSession, compute };

/**
 * `{ task, args }` dispatch. Besides being usable on its own, it matters to piscina: a
 * thread first loads the file under the name "default", and without this export under tsx
 * that probe falls through to an ESM import() the workers cannot do for .ts files.
 */
export default function runTask<K extends TaskName>({
  task,
  args,
}: {
  task: K;
  args: TaskArgs<K>;
}): TaskResult<K> | Promise<TaskResult<K>> {
  if (!Object.hasOwn(HANDLERS, task)) throw new TypeError(`unknown compute task ${String(task)}`);
  return (HANDLERS[task] as (a: TaskArgs<K>) => TaskResult<K> | Promise<TaskResult<K>>)(args);
}
