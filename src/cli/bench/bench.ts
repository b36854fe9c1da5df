/**
 * `dhttp bench`: an HTTP/1.1 load generator over raw keep-alive sockets with request bytes
 * built once. -c connections, spread over -t threads (each its own event loop: one tops
 * out well below what a fast server answers), each keeping --pipeline requests in flight
 * (closed loop) or pacing its part of --rate (constant rate, latency from each request's
 * intended start). The threads' histograms and counts merge exactly (merge.ts).
 */
import { readFile } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import type { BenchTarget } from './connection.js';
import { type LoadProgress, type LoadResult, type LoadShare, runLoad } from './load.js';
import { mergeLoads } from './merge.js';
import { type BenchResult, toJson, toText } from './report.js';
import type { ThreadMessage } from './thread.js';
import { ConfigError } from '../../config/errors.js';
import type { BenchConfig } from '../../config/types.js';
import { formatDuration } from '../../config/units.js';

export type { BenchResult } from './report.js';

export interface BenchOptions {
  /** Where the once-a-second progress lines go; null for none. @default null */
  readonly progress?: NodeJS.WritableStream | null;
  /** Ends the run early; the result covers what was measured so far. */
  readonly signal?: AbortSignal;
}

export async function buildTarget(config: BenchConfig): Promise<BenchTarget> {
  const url = new URL(config.url);
  let body: Buffer | undefined;
  if (config.body !== undefined) {
    try {
      body = await readFile(config.body);
    } catch (err) {
      const reason = (err as NodeJS.ErrnoException).code ?? 'unreadable';
      throw new ConfigError(`invalid --body ${JSON.stringify(config.body)}: must be a readable file (${reason})`);
    }
  }
  const given = new Set(config.header.map((h) => h.slice(0, h.indexOf(':')).trim().toLowerCase()));
  const lines = [`${config.method} ${url.pathname}${url.search} HTTP/1.1`];
  if (!given.has('host')) lines.push(`Host: ${url.host}`);
  if (!given.has('user-agent')) lines.push('User-Agent: dhttp-bench');
  lines.push(...config.header);
  // Bodyless POSTs still need framing, or the server waits (or answers 411).
  const needsLength = body !== undefined || !['GET', 'HEAD', 'DELETE', 'OPTIONS'].includes(config.method);
  if (needsLength && !given.has('content-length')) lines.push(`Content-Length: ${body?.length ?? 0}`);
  const head = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
  return Object.freeze({
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port === '' ? 80 : Number(url.port),
    request: body === undefined ? head : Buffer.concat([head, body]),
    noBody: config.method === 'HEAD',
  });
}

/** Splits `total` into `parts` whole shares that add up to it exactly. */
function split(total: number, parts: number, i: number): number {
  return Math.floor(total / parts) + (i < total % parts ? 1 : 0);
}

/**
 * The thread's entry: compiled, thread.js beside this file. Under tsx a worker cannot start
 * from (or import()) a .ts file, but require() goes through tsx's hooks, so a one-line
 * JavaScript entry requires it.
 */
const THREAD_ENTRY = import.meta.url.endsWith('.ts')
  ? new URL(
      `data:text/javascript,${encodeURIComponent(`import { createRequire } from 'node:module'; createRequire(${JSON.stringify(import.meta.url)})('./thread.ts');`)}`,
    )
  : new URL('./thread.js', import.meta.url);

/** Runs the load and returns what was measured. Never throws for server misbehaviour. */
export async function bench(config: BenchConfig, options: BenchOptions = {}): Promise<BenchResult> {
  const target = await buildTarget(config);
  const threads = Math.min(config.threads, config.connections);
  const shares: LoadShare[] = Array.from({ length: threads }, (_, i) => {
    const connections = split(config.connections, threads, i);
    return {
      target,
      connections,
      requests: config.requests > 0 ? split(config.requests, threads, i) : 0,
      durationMs: config.duration,
      warmupMs: config.warmup,
      timeoutMs: config.timeout,
      // Each share paces its part of the rate, in proportion to its connections.
      rate: config.rate > 0 ? (config.rate * connections) / config.connections : 0,
      pipeline: config.pipeline,
    };
  });
  const progress = options.progress ?? null;
  const reported: LoadProgress[] = shares.map(() => ({ measuring: false, done: 0, errors: 0 }));
  let last = 0;
  let ticks = 0;
  const report = (): void => {
    if (progress === null) return;
    if (!reported.every((p) => p.measuring)) {
      progress.write('  warming up…\n');
      return;
    }
    const done = reported.reduce((a, p) => a + p.done, 0);
    const errors = reported.reduce((a, p) => a + p.errors, 0);
    progress.write(`  ${++ticks}s  ${done - last} req/s  ${done} requests  ${errors} transport errors\n`);
    last = done;
  };
  let loads: LoadResult[];
  if (threads === 1) {
    const onProgress = (p: LoadProgress): void => {
      reported[0] = p;
      report();
    };
    loads = [await runLoad(shares[0], { signal: options.signal, onProgress })];
  } else {
    // The threads report once a second each; the line goes out on this thread's own beat.
    const timer = progress === null ? undefined : setInterval(report, 1000);
    try {
      loads = await Promise.all(shares.map((share, i) => runThread(share, options.signal, (p) => (reported[i] = p))));
    } finally {
      clearInterval(timer);
    }
  }
  return mergeLoads(
    {
      url: config.url,
      method: config.method,
      connections: config.connections,
      threads,
      pipeline: config.pipeline,
      rate: config.rate > 0 ? config.rate : null,
    },
    loads,
  );
}

/** One share on its own thread (its own event loop, its own connections). */
function runThread(share: LoadShare, signal: AbortSignal | undefined, onProgress: (p: LoadProgress) => void): Promise<LoadResult> {
  const worker = new Worker(THREAD_ENTRY, { workerData: share });
  const onAbort = (): void => worker.postMessage('stop');
  signal?.addEventListener('abort', onAbort, { once: true });
  if (signal?.aborted === true) onAbort();
  return new Promise<LoadResult>((resolve, reject) => {
    let result: LoadResult | undefined;
    worker.on('message', (m: ThreadMessage) => {
      if (m.type === 'progress') onProgress(m);
      else result = m.result;
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      signal?.removeEventListener('abort', onAbort);
      if (result !== undefined) resolve(result);
      else reject(new Error(`bench thread exited with code ${code} and no result`));
    });
  });
}

export interface BenchIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

/**
 * The command: progress to stderr, the report to stdout. Exits 1 when not a single
 * response came back (the target is down), else 0: error statuses are results, not failures.
 */
export async function runBench(config: BenchConfig, io: BenchIo = process): Promise<number> {
  const limits = [
    config.requests > 0 ? `${config.requests} requests` : '',
    config.duration > 0 ? formatDuration(config.duration) : '',
  ].filter((s) => s !== '');
  const warm = config.warmup > 0 ? ` after ${formatDuration(config.warmup)} warm-up` : '';
  io.stderr.write(`dhttp bench: ${config.method} ${config.url}, ${config.connections} connections, ${limits.join(' or ')}${warm}\n`);
  const abort = new AbortController();
  const onSigint = (): void => abort.abort();
  process.once('SIGINT', onSigint);
  let result: BenchResult;
  try {
    result = await bench(config, { progress: io.stderr, signal: abort.signal });
  } finally {
    process.off('SIGINT', onSigint);
  }
  io.stdout.write(config.json ? `${toJson(result)}\n` : toText(result));
  return result.requests > 0 && result.responses === 0 ? 1 : 0;
}
