/**
 * A `dhttp bench -t N` thread: runs one share of the load on its own event loop and posts
 * progress once a second, then its result. A "stop" message ends it early.
 */
import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import { type LoadShare, runLoad } from './load.js';

/** What the main thread hears from a bench thread. */
export type ThreadMessage =
  | { readonly type: 'progress'; readonly measuring: boolean; readonly done: number; readonly errors: number }
  | { readonly type: 'result'; readonly result: Awaited<ReturnType<typeof runLoad>> };

async function main(port: MessagePort): Promise<void> {
  const data = workerData as LoadShare & { target: { request: Uint8Array } };
  const share: LoadShare = { ...data, target: { ...data.target, request: Buffer.from(data.target.request) } };
  const stop = new AbortController();
  port.on('message', (m: unknown) => {
    if (m === 'stop') stop.abort();
  });
  const result = await runLoad(share, {
    signal: stop.signal,
    onProgress: (p) => port.postMessage({ type: 'progress', ...p } satisfies ThreadMessage),
  });
  port.postMessage({ type: 'result', result } satisfies ThreadMessage);
  port.close();
}

// No top-level await: under tsx this file is loaded with require() (see bench.ts).
if (parentPort !== null) void main(parentPort);
