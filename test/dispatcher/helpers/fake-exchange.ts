/**
 * A stand-in for the engine in dispatcher tests: turns a node:http exchange into the
 * handler-facing HttpRequest/HttpResponse pair, so the forwarder runs behind a real
 * node:http front server before src/http/server.ts exists. Thrown HttpErrors become the
 * SPEC §2 JSON; a throw after the head went out cuts the connection.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import type { HeaderMap, HttpRequest, HttpResponse, Handler } from '../../../src/server/types.js';
import { HttpError, errorBody } from '../../../src/common/errors.js';

function headerMap(raw: string[]): HeaderMap {
  const pairs: Array<[string, string]> = [];
  for (let i = 0; i + 1 < raw.length; i += 2) pairs.push([raw[i].toLowerCase(), raw[i + 1]]);
  const getAll = (name: string): string[] => pairs.filter(([n]) => n === name.toLowerCase()).map(([, v]) => v);
  return {
    get: (name) => {
      const all = getAll(name);
      return all.length === 0 ? undefined : all.join(', ');
    },
    getAll,
    has: (name) => getAll(name).length > 0,
    entries: () => pairs[Symbol.iterator](),
  };
}

export function toExchange(
  msg: http.IncomingMessage,
  out: http.ServerResponse,
): { req: HttpRequest; res: HttpResponse & { destroy(err?: Error): void } } {
  const target = msg.url ?? '/';
  const url = new URL(target, 'http://front.invalid');
  const headers = headerMap(msg.rawHeaders);
  const ac = new AbortController();
  out.on('close', () => {
    if (!out.writableFinished) ac.abort(new Error('client closed'));
  });
  const clientId = headers.get('x-request-id');
  const id = clientId !== undefined && /^[A-Za-z0-9._:-]{1,128}$/.test(clientId) ? clientId : randomUUID();
  out.setHeader('x-request-id', id);
  const lengthHeader = headers.get('content-length');
  const contentLength = headers.has('transfer-encoding') ? null : lengthHeader === undefined ? 0 : Number(lengthHeader);
  let bytesWritten = 0;
  const req: HttpRequest = {
    method: msg.method ?? 'GET',
    target,
    path: decodeURIComponent(url.pathname),
    rawPath: url.pathname,
    rawQuery: url.search.slice(1),
    query: url.searchParams,
    params: {},
    httpMinor: msg.httpVersionMinor === 0 ? 0 : 1,
    headers,
    hostname: (headers.get('host') ?? '').replace(/:\d+$/, '').toLowerCase(),
    remoteAddress: msg.socket.remoteAddress ?? '',
    remotePort: msg.socket.remotePort ?? 0,
    id,
    contentLength,
    hasBody: contentLength === null || contentLength > 0,
    body: msg,
    signal: ac.signal,
    get aborted() {
      return ac.signal.aborted;
    },
    lightSignal: ac.signal,
    startedAt: performance.now(),
  };
  const res = {
    get status() {
      return out.statusCode;
    },
    set status(code: number) {
      out.statusCode = code;
    },
    setHeader(name: string, value: string | number | readonly string[]) {
      out.setHeader(name, value);
      return res;
    },
    getHeader: (name: string) => out.getHeader(name),
    removeHeader(name: string) {
      out.removeHeader(name);
      return res;
    },
    get headersSent() {
      return out.headersSent;
    },
    get finished() {
      return out.writableEnded || out.destroyed;
    },
    write(chunk: Buffer | string) {
      bytesWritten += Buffer.byteLength(chunk);
      return out.write(chunk);
    },
    drain: () =>
      new Promise<void>((resolve) => {
        if (!out.writableNeedDrain || out.destroyed) return resolve();
        const done = (): void => {
          out.off('drain', done).off('close', done);
          resolve();
        };
        out.on('drain', done).on('close', done);
      }),
    end(chunk?: Buffer | string) {
      if (chunk !== undefined) bytesWritten += Buffer.byteLength(chunk);
      out.end(chunk);
    },
    json(status: number, value: unknown) {
      res.send(status, JSON.stringify(value), 'application/json; charset=utf-8');
    },
    send(status: number, body: Buffer | string, contentType = 'text/plain; charset=utf-8') {
      out.statusCode = status;
      out.setHeader('content-type', contentType);
      out.setHeader('content-length', Buffer.byteLength(body));
      res.end(body);
    },
    get bytesWritten() {
      return bytesWritten;
    },
    destroy(err?: Error) {
      out.destroy(err);
    },
  };
  return { req, res };
}

export interface FrontServer {
  server: http.Server;
  url: string;
  port: number;
  close(): Promise<void>;
}

/** A node:http server on 127.0.0.1:0 running `handler` the way the engine would. */
export async function serveWith(handler: Handler): Promise<FrontServer> {
  const server = http.createServer((msg, out) => {
    const { req, res } = toExchange(msg, out);
    Promise.resolve()
      .then(() => handler(req, res))
      .catch((err: unknown) => {
        if (out.headersSent || out.destroyed) {
          out.destroy();
          return;
        }
        const e = err instanceof HttpError ? err : new HttpError('INTERNAL', String(err));
        for (const [k, v] of Object.entries(e.headers)) out.setHeader(k, v);
        res.send(e.status, errorBody(e.code, e.message, req.id), 'application/json; charset=utf-8');
      })
      .finally(() => {
        // Like the engine: an unread request body is discarded.
        if (!msg.readableEnded) msg.resume();
      });
  });
  return listen(server);
}

export async function listen(server: http.Server): Promise<FrontServer> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** An http:// address nothing listens on (a port bound, then released). */
export async function deadAddress(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

/** Records logger events for assertions. */
export function recordingLogger(): {
  events: Array<Record<string, unknown>>;
  info(o: object): void;
  warn(o: object): void;
  error(o: object): void;
} {
  const events: Array<Record<string, unknown>> = [];
  const push = (o: object): void => {
    events.push({ ...(o as Record<string, unknown>) });
  };
  return { events, info: push, warn: push, error: push };
}
