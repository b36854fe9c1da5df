/**
 * `dhttp bench`: a closed-loop HTTP/1.1 load generator. Each of -c connections keeps one
 * request in flight over raw keep-alive sockets with request bytes built once, which is
 * what lets one Node process drive a fast server without becoming the bottleneck.
 */
import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { build } from 'hdr-histogram-js';
import { BenchConnection, type BenchControl, type BenchTarget } from './connection.js';
import { type BenchResult, type ErrorKind, summarize, toJson, toText } from './report.js';
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

function increment(rec: Record<string, number>, key: string): void {
  rec[key] = (rec[key] ?? 0) + 1;
}

/** Runs the load and returns what was measured. Never throws for server misbehaviour. */
export async function bench(config: BenchConfig, options: BenchOptions = {}): Promise<BenchResult> {
  const target = await buildTarget(config);
  const histogram = build({ numberOfSignificantValueDigits: 3 });
  const statuses: Record<string, number> = {};
  const byStatus: Record<string, number> = {};
  const byKind: Record<string, number> = {};
  let phase: 'warmup' | 'measure' | 'stopped' = config.warmup > 0 ? 'warmup' : 'measure';
  let issued = 0;
  let responses = 0;
  let failures = 0;
  let bytesRead = 0;
  let measureStart = performance.now();
  let measureEnd = measureStart;
  let finished = 0;
  const timers: NodeJS.Timeout[] = [];
  let resolveRun: () => void = () => {};
  const ran = new Promise<void>((r) => (resolveRun = r));

  const control: BenchControl = {
    get measuring() {
      return phase === 'measure';
    },
    claim() {
      if (phase === 'stopped') return false;
      if (phase === 'warmup') return true;
      if (config.requests > 0 && issued >= config.requests) return false;
      issued++;
      return true;
    },
    response(status, latencyUs, measured) {
      if (!measured || phase === 'stopped') return;
      responses++;
      histogram.recordValue(latencyUs);
      increment(statuses, String(status));
      if (status >= 400) increment(byStatus, String(status));
      measureEnd = performance.now();
    },
    error(kind: ErrorKind, measured) {
      if (!measured || phase === 'stopped') return;
      failures++;
      increment(byKind, kind);
      measureEnd = performance.now();
    },
    bytes(n) {
      if (phase === 'measure') bytesRead += n;
    },
    done() {
      if (++finished === connections.length) stop();
    },
  };

  const connections = Array.from({ length: config.connections }, () => new BenchConnection(target, control));
  function stop(): void {
    if (phase === 'stopped') return;
    if (phase === 'measure' && config.requests === 0) measureEnd = performance.now();
    phase = 'stopped';
    for (const t of timers) clearTimeout(t);
    for (const c of connections) c.stop();
    resolveRun();
  }
  function beginMeasure(): void {
    phase = 'measure';
    measureStart = measureEnd = performance.now();
    if (config.duration > 0) timers.push(setTimeout(stop, config.duration));
  }

  const onAbort = (): void => stop();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (phase === 'warmup') timers.push(setTimeout(beginMeasure, config.warmup));
  else beginMeasure();

  const checkEvery = Math.max(10, Math.min(250, Math.floor(config.timeout / 4)));
  timers.push(
    setInterval(() => {
      const now = performance.now();
      for (const c of connections) c.checkTimeout(now, config.timeout);
    }, checkEvery),
  );
  const progress = options.progress ?? null;
  if (progress !== null) {
    let last = 0;
    timers.push(
      setInterval(() => {
        if (phase !== 'measure') {
          progress.write('  warming up…\n');
          return;
        }
        const done = responses + failures;
        const secs = Math.round((performance.now() - measureStart) / 1000);
        progress.write(
          `  ${secs}s  ${done - last} req/s  ${done} requests  ${failures + Object.values(byStatus).reduce((a, b) => a + b, 0)} errors\n`,
        );
        last = done;
      }, 1000),
    );
  }
  for (const c of connections) c.start();
  if (options.signal?.aborted === true) stop();
  await ran;
  options.signal?.removeEventListener('abort', onAbort);

  const durationMs = Math.max(measureEnd - measureStart, 0);
  const httpErrors = Object.values(byStatus).reduce((a, b) => a + b, 0);
  const result: BenchResult = {
    url: config.url,
    method: config.method,
    connections: config.connections,
    durationMs,
    requests: responses + failures,
    responses,
    requestsPerSecond: durationMs > 0 ? ((responses + failures) * 1000) / durationMs : 0,
    bytesRead,
    latencyUs: summarize(histogram),
    statuses: Object.freeze(statuses),
    errors: Object.freeze({ total: failures + httpErrors, byStatus: Object.freeze(byStatus), byKind: Object.freeze(byKind) }),
  };
  histogram.destroy();
  return Object.freeze(result);
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
