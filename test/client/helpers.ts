/**
 * What the client's tests share: scripted workers on raw sockets (full control of every
 * byte and of when it is written) and node:http ones, a handler that records what an
 * exchange hands it, and a bounded wait.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import net, { type AddressInfo, type Socket } from 'node:net';
import type { ResponseHandler } from '../../src/client/handler.js';
import { Pool, type PoolOptions } from '../../src/client/pool.js';
import type { ResponseHead } from '../../src/codec/response-head.js';

const closers: Array<() => Promise<void> | void> = [];

/** Closes every worker and pool the helpers made (call from `after`). */
export async function closeAll(): Promise<void> {
  for (const c of closers.splice(0).reverse()) await c();
}

export interface RawWorker {
  url: string;
  port: number;
  /** Per connection, per read: the request heads that read carried. */
  reads: string[][][];
  sockets: Socket[];
  /** Connections the client closed (an 'end' before ours). */
  closedByClient: number;
}

/** A worker on a raw socket; `onRequests` sees each connection's heads so far after every read. */
export async function rawWorker(onRequests: (socket: Socket, heads: string[], connection: number) => void): Promise<RawWorker> {
  const w: RawWorker = { url: '', port: 0, reads: [], sockets: [], closedByClient: 0 };
  const server = net.createServer((socket) => {
    const index = w.reads.length;
    const reads: string[][] = [];
    w.reads.push(reads);
    w.sockets.push(socket);
    socket.setNoDelay(true);
    // The client closing shows as an 'end', or as a reset when it had bytes unread.
    let peerClosed = false;
    const closedByPeer = (): void => {
      if (peerClosed || socket.writableEnded) return;
      peerClosed = true;
      w.closedByClient++;
    };
    socket.on('error', closedByPeer);
    socket.on('end', closedByPeer);
    const heads: string[] = [];
    let buf = '';
    socket.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      const got: string[] = [];
      for (let end = buf.indexOf('\r\n\r\n'); end !== -1; end = buf.indexOf('\r\n\r\n')) {
        got.push(buf.slice(0, end + 4));
        buf = buf.slice(end + 4);
      }
      if (got.length === 0) return;
      reads.push(got);
      heads.push(...got);
      onRequests(socket, heads, index);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  w.port = (server.address() as AddressInfo).port;
  w.url = `http://127.0.0.1:${w.port}`;
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        for (const s of w.sockets) s.destroy();
        server.close(() => resolve());
      }),
  );
  return w;
}

export interface HttpWorker {
  url: string;
  /** Connections accepted so far. */
  connections: number;
  /** Remote port of each request, in order: which client connection carried it. */
  ports: number[];
}

/** A node:http worker. */
export async function httpWorker(handler: http.RequestListener): Promise<HttpWorker> {
  const w: HttpWorker = { url: '', connections: 0, ports: [] };
  const server = http.createServer({ keepAliveTimeout: 10_000 }, (req, res) => {
    w.ports.push(req.socket.remotePort ?? 0);
    handler(req, res);
  });
  server.on('connection', () => w.connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  w.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return w;
}

/** A pool closed (destroyed) with the rest. */
export function poolFor(url: string, options: PoolOptions = {}): Pool {
  const pool = new Pool(url, options);
  closers.push(() => pool.destroy());
  return pool;
}

/** An http:// address nothing listens on (a port bound, then released). */
export async function deadAddress(): Promise<string> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

/** Records what one exchange hands its handler. */
export class Sink implements ResponseHandler {
  readonly raw: boolean;
  status = 0;
  head: ResponseHead | undefined;
  body = '';
  done = false;
  failed: { err: unknown; headSeen: boolean } | undefined;
  /** onHead asks to pause. */
  pauseOnHead = false;
  events = 0;

  constructor(raw = true) {
    this.raw = raw;
  }

  onHead(head: ResponseHead, body: Buffer | undefined, complete: boolean): boolean {
    assert.equal(this.head, undefined, 'one head');
    this.events++;
    this.head = head;
    this.status = head.status;
    if (body !== undefined) this.body += body.toString('latin1');
    this.done = complete;
    return !this.pauseOnHead;
  }

  onData(data: Buffer, complete: boolean): boolean {
    assert.ok(this.head !== undefined && !this.done, 'data between the head and the end');
    this.events++;
    this.body += data.toString('latin1');
    this.done = complete;
    return true;
  }

  onError(err: unknown, headSeen: boolean): void {
    assert.equal(this.failed, undefined, 'one error');
    assert.equal(this.done, false, 'no error after the end');
    this.events++;
    this.failed = { err, headSeen };
  }

  get settled(): boolean {
    return this.done || this.failed !== undefined;
  }
}

/** The code of the error a handler was failed with. */
export function codeOf(s: Sink): string | undefined {
  return (s.failed?.err as { code?: string } | undefined)?.code;
}

export async function until(what: string, cond: () => boolean, ms = 3000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

export const head = (path: string, method = 'GET', extra = ''): string => `${method} ${path} HTTP/1.1\r\nHost: w\r\n${extra}\r\n`;
export const ok = (body: string, extra = ''): string => `HTTP/1.1 200 OK\r\n${extra}Content-Length: ${body.length}\r\n\r\n${body}`;
export const pathOf = (h: string): string => h.slice(h.indexOf(' ') + 1, h.indexOf(' ', h.indexOf(' ') + 1));
export const OPTS = { method: 'GET', headersTimeoutMs: 5000, bodyTimeoutMs: 5000 } as const;
