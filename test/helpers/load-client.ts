/**
 * A closed-loop HTTP client for fault tests, usable in-process or as its own process (for a
 * host inside a network namespace: `node load-client.js <json options>` prints the result
 * as one JSON line). Every request is recorded with its start time on the wall clock (so
 * another process can line it up with the faults it applied), its duration and its
 * outcome. With several base URLs, a request whose connection fails is tried on the next
 * one, as a client of a replicated service does: any request that reached no server
 * (refused, unreachable), and a GET whose connection broke before its answer.
 */
import http from 'node:http';
import { createReadStream, statSync } from 'node:fs';

export interface LoadOptions {
  /** Base URLs tried in turn (the first that accepts the connection serves the request). */
  readonly urls: readonly string[];
  /** Request targets, taken in turn by each connection; "POST /path" sends a small JSON body. */
  readonly targets: readonly string[];
  readonly connections: number;
  readonly durationMs: number;
  /** Per-request limit, so a run always ends. @default 30000 */
  readonly requestTimeoutMs?: number;
}

export interface RequestRecord {
  /** Wall-clock start, ms since the epoch (fractional). */
  readonly start: number;
  readonly ms: number;
  readonly method: string;
  readonly target: string;
  /** HTTP status, or 0 when no answer came. */
  readonly status: number;
  readonly error?: string;
  /** Connection failures this request was retried past (on another base URL). */
  readonly connectRetries: number;
}

export interface LoadResult {
  readonly records: readonly RequestRecord[];
}

const wallNow = (): number => performance.timeOrigin + performance.now();

/** The request reached no server: safe to send again, whatever the method. */
const NOT_SENT = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH']);
/** The connection broke: the server may have acted on the request, so only idempotent ones go again. */
const BROKEN = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT']);

interface Answer {
  status: number;
  body: string;
}

function once(url: string, method: string, target: string, agent: http.Agent, timeoutMs: number, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}${target}`, { method, agent, timeout: timeoutMs }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (s: string) => {
        if (text.length < 4096) text += s;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('client timeout'), { code: 'CLIENT_TIMEOUT' })));
    req.on('error', reject);
    if (body !== undefined) {
      req.setHeader('content-type', 'application/json');
      req.setHeader('content-length', Buffer.byteLength(body));
      req.end(body);
    } else req.end();
  });
}

/** Runs the load; resolves with every request's record. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const timeoutMs = options.requestTimeoutMs ?? 30_000;
  const agents = options.urls.map(() => new http.Agent({ keepAlive: true, maxSockets: options.connections }));
  const records: RequestRecord[] = [];
  const end = wallNow() + options.durationMs;
  let next = 0;
  const loop = async (): Promise<void> => {
    while (wallNow() < end) {
      const spec = options.targets[next++ % options.targets.length];
      const [method, target] = spec.startsWith('POST ') ? ['POST', spec.slice(5)] : ['GET', spec];
      const body = method === 'POST' ? JSON.stringify({ number: next }) : undefined;
      const start = wallNow();
      let connectRetries = 0;
      let record: RequestRecord | undefined;
      for (let i = 0; record === undefined; i++) {
        const u = i % options.urls.length;
        try {
          const a = await once(options.urls[u], method, target, agents[u], timeoutMs, body);
          record = { start, ms: wallNow() - start, method, target, status: a.status, connectRetries };
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code ?? 'ERROR';
          const elapsed = wallNow() - start;
          const again = NOT_SENT.has(code) || (BROKEN.has(code) && method === 'GET');
          if (again && options.urls.length > 1 && elapsed < timeoutMs && i < 20) {
            connectRetries++;
            continue;
          }
          record = { start, ms: elapsed, method, target, status: 0, error: code, connectRetries };
        }
      }
      records.push(record);
    }
  };
  await Promise.all(Array.from({ length: options.connections }, loop));
  for (const a of agents) a.destroy();
  return { records };
}

/** POSTs a file as the body; resolves with the status, the body and the time taken. */
export function postFile(
  url: string,
  file: string,
  timeoutMs = 60_000,
): Promise<{ status: number; body: string; ms: number; start: number }> {
  const start = wallNow();
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', timeout: timeoutMs, headers: { 'content-length': statSync(file).size } }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (b: Buffer) => parts.push(b));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString('utf8'), ms: wallNow() - start, start }),
      );
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('client timeout')));
    req.on('error', reject);
    createReadStream(file).pipe(req);
  });
}

// As a process: one JSON argument in, one JSON line out.
if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/^.*\//, '/'))) {
  const spec = JSON.parse(process.argv[2] ?? '{}') as ({ mode: 'load' } & LoadOptions) | { mode: 'post'; url: string; file: string };
  const work = spec.mode === 'post' ? postFile(spec.url, spec.file) : runLoad(spec);
  work.then(
    (r) => process.stdout.write(`${JSON.stringify(r)}\n`),
    (err: unknown) => {
      process.stdout.write(`${JSON.stringify({ error: String(err) })}\n`);
      process.exitCode = 1;
    },
  );
}
