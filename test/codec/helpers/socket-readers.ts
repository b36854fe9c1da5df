/**
 * The socket readers of the response contract: a scripted worker on a raw `net` server
 * writes a case's bytes - answer i when request i arrives, cut in two writes at the
 * chosen split points - and two products read them over real sockets: the client's promise
 * API (its Pool), and the dispatcher's relay (a real Forwarder behind the real engine),
 * read by node:http as a user's client would. Each run has its own pool, so runs go in
 * parallel without sharing connections.
 */
import http from 'node:http';
import net, { type AddressInfo, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from '../../../src/client/pool.js';
import { request } from '../../../src/client/request.js';
import { RoundRobin } from '../../../src/dispatcher/balance/selection.js';
import { Forwarder } from '../../../src/dispatcher/proxy/forward.js';
import { UpstreamSet } from '../../../src/dispatcher/upstreams/upstream-set.js';
import { createHttpServer, type HttpServer } from '../../../src/server/server.js';
import { methodsOf, type ResponseCase, streamOf } from './response-cases.js';

/** What a socket reader came to: answers as seen by its user, and how the stream ended. */
export interface SocketOutcome {
  answers: { status: number; payload: string }[];
  /**
   * 'none'; 'framing' (the client failed with BAD_RESPONSE and closed the connection);
   * 'cut' (the client failed as the connection ended); 'refused' (the relay answered 502
   * or cut its client's answer short); 'extra' (every answer delivered, then the
   * connection closed by the reader); anything else is a mismatch.
   */
  refusal: string;
  /** Connections the worker saw (valid cases only: malformed ones may be retried). */
  connections?: number;
}

export function expectedOverSocket(c: ResponseCase, reader: 'client' | 'relay'): SocketOutcome {
  const answers = c.answers.map((a) => ({ status: a.status, payload: a.payload }));
  if (c.bad === undefined) {
    let connections = 1;
    for (const a of c.answers.slice(0, -1)) if (!a.keepAlive) connections++;
    return { answers, refusal: 'none', connections };
  }
  if (c.bad.refusal === 'extra') return { answers, refusal: 'extra' };
  return { answers, refusal: reader === 'relay' ? 'refused' : c.bad.refusal };
}

/** A sample of split points: whole, inside the first head, at its end, before the last byte. */
export function socketSplits(c: ResponseCase): number[] {
  const stream = streamOf(c).toString('latin1');
  const blank = stream.indexOf('\r\n\r\n');
  const headEnd = blank === -1 ? Math.floor(stream.length / 2) : blank + 4;
  const points = [0, Math.floor(headEnd / 2), headEnd, stream.length - 1];
  return [...new Set(points.filter((k) => k >= 0 && k < stream.length))];
}

class Run {
  readonly id: number;
  readonly segments: Buffer[] = [];
  readonly starts: number[] = [];
  /** Offsets in the stream where the worker starts a new write. */
  readonly cuts: readonly number[];
  readonly eof: boolean;
  connections = 0;
  closedByPeer = 0;
  #waiters: Array<() => void> = [];

  constructor(id: number, c: ResponseCase, cuts: readonly number[]) {
    this.id = id;
    this.cuts = cuts;
    this.eof = c.eof;
    const wires = c.answers.map((a) => a.wire);
    if (c.bad?.method !== undefined) wires.push(c.bad.wire);
    else if (c.bad !== undefined) wires[wires.length - 1] += c.bad.wire;
    let at = 0;
    for (const w of wires) {
      this.starts.push(at);
      this.segments.push(Buffer.from(w, 'latin1'));
      at += w.length;
    }
  }

  peerClosed(): void {
    this.closedByPeer++;
    for (const w of this.#waiters.splice(0)) w();
  }

  /** Whether the reader closed a connection of this run, waiting up to `ms`. */
  async closedByReader(ms: number): Promise<boolean> {
    if (this.closedByPeer > 0) return true;
    await Promise.race([new Promise<void>((r) => this.#waiters.push(r)), sleep(ms)]);
    return this.closedByPeer > 0;
  }
}

const PATH = /^[A-Z]+ \/run\/(\d+)\/(\d+) /;

/** The worker: answers `/run/<id>/<i>` with segment i of run `id`. */
export class ScriptedWorker {
  readonly #server: net.Server;
  readonly #runs = new Map<number, Run>();
  readonly #sockets = new Set<Socket>();
  #next = 1;
  url = '';

  private constructor() {
    this.#server = net.createServer((socket) => this.#accept(socket));
  }

  static async start(): Promise<ScriptedWorker> {
    const w = new ScriptedWorker();
    await new Promise<void>((resolve) => w.#server.listen(0, '127.0.0.1', resolve));
    w.url = `http://127.0.0.1:${(w.#server.address() as AddressInfo).port}`;
    return w;
  }

  register(c: ResponseCase, cuts: readonly number[]): Run {
    const run = new Run(this.#next++, c, cuts);
    this.#runs.set(run.id, run);
    return run;
  }

  unregister(run: Run): void {
    this.#runs.delete(run.id);
  }

  close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  #accept(socket: Socket): void {
    this.#sockets.add(socket);
    socket.setNoDelay(true);
    let run: Run | undefined;
    let ended = false;
    let buf = '';
    // The reader closing shows as an 'end', or as a reset when it had bytes unread.
    let peerClosed = false;
    const closedByPeer = (): void => {
      if (peerClosed || ended) return;
      peerClosed = true;
      run?.peerClosed();
    };
    socket.on('error', closedByPeer);
    socket.on('end', () => {
      closedByPeer();
      socket.end();
    });
    socket.on('close', () => this.#sockets.delete(socket));
    socket.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      for (let end = buf.indexOf('\r\n\r\n'); end !== -1; end = buf.indexOf('\r\n\r\n')) {
        const m = PATH.exec(buf.slice(0, end));
        buf = buf.slice(end + 4);
        const r = m === null ? undefined : this.#runs.get(Number(m[1]));
        const i = Number(m?.[2]);
        if (r === undefined || i >= r.segments.length) {
          socket.destroy();
          return;
        }
        if (run === undefined) r.connections++;
        run = r;
        this.#write(socket, r, i, () => {
          ended = true;
        });
      }
    });
  }

  /** Writes segment i of `run`, a write per piece between its cuts, 3 ms apart; ends the connection after the last if the case says so. */
  #write(socket: Socket, run: Run, i: number, ending: () => void): void {
    const seg = run.segments[i];
    const start = run.starts[i];
    const inside = run.cuts.map((k) => k - start).filter((k) => k > 0 && k < seg.length);
    const bounds = [...new Set([0, ...inside, seg.length])].sort((a, b) => a - b);
    const piece = (p: number): void => {
      if (socket.destroyed) return;
      socket.write(seg.subarray(bounds[p], bounds[p + 1]));
      if (p + 2 < bounds.length) {
        setTimeout(() => piece(p + 1), 3);
      } else if (i === run.segments.length - 1 && run.eof) {
        ending();
        socket.end();
      }
    };
    piece(0);
  }
}

const TIMEOUT_MS = 3000;

/** The client's promise API, one request per answer, in order, on a pool of one connection. */
export async function viaClient(
  worker: ScriptedWorker,
  _front: RelayFront,
  c: ResponseCase,
  cuts: readonly number[],
): Promise<{ outcome: SocketOutcome; detail?: string }> {
  const run = worker.register(c, cuts);
  const pool = new Pool(worker.url, { connections: 1 });
  const outcome: SocketOutcome = { answers: [], refusal: 'none' };
  let detail: string | undefined;
  try {
    const methods = methodsOf(c);
    for (let i = 0; i < methods.length; i++) {
      try {
        const res = await request(pool, { method: methods[i], path: `/run/${run.id}/${i}`, timeoutMs: TIMEOUT_MS });
        const parts: Buffer[] = [];
        for await (const p of res.body) parts.push(p as Buffer);
        outcome.answers.push({ status: res.statusCode, payload: Buffer.concat(parts).toString('latin1') });
      } catch (err) {
        const code = (err as { code?: string }).code;
        detail = `${code}: ${(err as Error).message}`;
        if (code === 'BAD_RESPONSE') outcome.refusal = (await run.closedByReader(1000)) ? 'framing' : 'framing, connection kept';
        else outcome.refusal = code === 'SOCKET' || code === 'ECONNRESET' ? 'cut' : `error ${code}`;
        break;
      }
    }
    if (outcome.refusal === 'none' && c.bad?.refusal === 'extra' && (await run.closedByReader(1000))) outcome.refusal = 'extra';
    if (c.bad === undefined) outcome.connections = run.connections;
  } finally {
    await pool.destroy();
    worker.unregister(run);
  }
  return { outcome, detail };
}

/** The real engine in front of per-run Forwarders (routed by path), as `dhttp dispatcher` runs them. */
export class RelayFront {
  readonly #server: HttpServer;
  readonly #routes = new Map<string, Forwarder>();
  port = 0;

  private constructor() {
    this.#server = createHttpServer({ shutdownTimeoutMs: 200 }, (req, res) => {
      const id = /^\/run\/(\d+)\//.exec(req.target)?.[1] ?? '';
      const fw = this.#routes.get(id);
      if (fw === undefined) {
        res.send(404, 'no such run');
        return;
      }
      return fw.forward(req, res);
    });
  }

  static async start(): Promise<RelayFront> {
    const f = new RelayFront();
    f.port = (await f.#server.listen(0, '127.0.0.1')).port;
    return f;
  }

  route(id: number, fw: Forwarder | undefined): void {
    if (fw === undefined) this.#routes.delete(String(id));
    else this.#routes.set(String(id), fw);
  }

  close(): Promise<void> {
    return this.#server.close();
  }
}

interface Fetched {
  status: number;
  payload: string;
  complete: boolean;
  error?: string;
}

/** One request through the front with node:http (llhttp reads what the relay sent). */
function fetchVia(port: number, method: string, path: string, agent: http.Agent): Promise<Fetched> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    let status = 0;
    let settled = false;
    const done = (complete: boolean, error?: string): void => {
      if (settled) return;
      settled = true;
      resolve({ status, payload: Buffer.concat(parts).toString('latin1'), complete, error });
    };
    const req = http.request({ host: '127.0.0.1', port, method, path, agent, maxHeaderSize: 128 * 1024 }, (res) => {
      status = res.statusCode ?? 0;
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => done(true));
      res.on('aborted', () => done(false, 'aborted'));
      res.on('error', (e) =>
        done(false, (e as { code?: string }).code?.startsWith('HPE_') ? `${(e as { code?: string }).code} ${e.message}` : e.message),
      );
      res.on('close', () => done(res.complete));
    });
    req.on('error', (e) =>
      done(false, (e as { code?: string }).code?.startsWith('HPE_') ? `${(e as { code?: string }).code} ${e.message}` : e.message),
    );
    req.setTimeout(TIMEOUT_MS * 2, () => req.destroy(new Error('no answer from the relay')));
    req.end();
  });
}

/** The dispatcher's relay: a request per answer through the engine and a Forwarder to the worker. */
export async function viaRelay(
  worker: ScriptedWorker,
  front: RelayFront,
  c: ResponseCase,
  cuts: readonly number[],
): Promise<{ outcome: SocketOutcome; detail?: string }> {
  const run = worker.register(c, cuts);
  const set = new UpstreamSet();
  set.add(worker.url).markUp();
  const forwarder = new Forwarder({
    upstreams: set,
    policy: new RoundRobin(),
    retries: 1,
    tryDurationMs: 1000,
    tryIntervalMs: 5,
    upstreamTimeoutMs: TIMEOUT_MS,
    onConnectFailure: () => {},
  });
  front.route(run.id, forwarder);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const outcome: SocketOutcome = { answers: [], refusal: 'none' };
  let detail: string | undefined;
  try {
    const methods = methodsOf(c);
    for (let i = 0; i < methods.length; i++) {
      const r = await fetchVia(front.port, methods[i], `/run/${run.id}/${i}`, agent);
      if (r.status === 502 || !r.complete) {
        detail = `${r.status} ${r.error ?? ''} ${r.payload.slice(0, 200)}`;
        // What the relay sent must parse: a client refusing it is no refusal of the relay's.
        outcome.refusal = r.error?.startsWith('HPE_') === true ? `unparseable: ${r.error}` : 'refused';
        break;
      }
      outcome.answers.push({ status: r.status, payload: r.payload });
    }
    if (outcome.refusal === 'none' && c.bad?.refusal === 'extra' && (await run.closedByReader(1000))) outcome.refusal = 'extra';
    if (c.bad === undefined) outcome.connections = run.connections;
  } finally {
    agent.destroy();
    front.route(run.id, undefined);
    await set.close();
    worker.unregister(run);
  }
  return { outcome, detail };
}
