/**
 * Upgrade tunnels (RFC 9110 §7.8): a request with `Connection: upgrade` + `Upgrade: …`
 * (a WebSocket handshake, say) goes to a worker on a connection of its own - never
 * pipelined, never retried once written. On `101 Switching Protocols` the dispatcher
 * passes bytes both ways until either side closes, with backpressure both ways and an
 * idle timeout; any other answer is relayed as a normal answer and the connection closed.
 * Open tunnels count in their worker's load. `h2c` is declined: the engine then answers
 * the request as plain HTTP/1.1, the upgrade ignored.
 */
import type { Socket } from 'node:net';
import { ResponseDecoder } from '../../codec/response-decoder.js';
import type { ResponseHead } from '../../codec/response-head.js';
import { errorBody, httpError, type HttpError } from '../../common/errors.js';
import type { HttpRequest } from '../../server/types.js';
import type { SelectionPolicy } from '../balance/selection.js';
import { markConnectFailure } from '../health/health.js';
import { type EventLogger, NOOP_LOGGER } from '../logger.js';
import type { Upstream } from '../upstreams/upstream.js';
import type { UpstreamSet } from '../upstreams/upstream-set.js';
import { clientAddress, HOP_BY_HOP, originForm, proxyFields, REBUILT, relayedLines } from './forward-headers.js';
import { classify, describeError } from './retry.js';
import { dateLine } from '../../codec/http-date.js';
import { statusLine } from '../../codec/status.js';

export interface TunnelOptions {
  upstreams: UpstreamSet;
  policy: SelectionPolicy;
  /** A tunnel with no byte either way for this long is closed. @default 60000 */
  idleTimeoutMs: number;
  /** Longest wait for the worker's answer to the upgrade request. @default 60000 */
  answerTimeoutMs: number;
  /** Whether a path is the dispatcher's own (never tunnelled). */
  isLocal(path: string): boolean;
  logger?: EventLogger;
}

export class TunnelForwarder {
  readonly #o: TunnelOptions;
  readonly #log: EventLogger;
  readonly #open = new Set<Socket>();
  /** Tunnels opened since start. */
  opened = 0;

  constructor(options: TunnelOptions) {
    this.#o = options;
    this.#log = options.logger ?? NOOP_LOGGER;
  }

  /** Tunnels open now (after their 101). */
  get openCount(): number {
    return this.#open.size;
  }

  /** Whether `req` is an upgrade this forwarder tunnels: to a worker path, anything but h2c. */
  wants(req: HttpRequest): boolean {
    const protocol = (req.headers.get('upgrade') ?? '').trim().toLowerCase();
    return protocol !== '' && !protocol.startsWith('h2c') && !this.#o.isLocal(req.path);
  }

  /** The engine's upgrade hook (after `wants`): takes the socket and tunnels it to a worker. */
  readonly take = (req: HttpRequest, socket: Socket, head: Buffer): boolean => {
    if (!this.wants(req)) return false;
    socket.pause();
    socket.on('error', () => {});
    void this.#run(req, socket, head);
    return true;
  };

  async #run(req: HttpRequest, client: Socket, early: Buffer): Promise<void> {
    const tried = new Set<Upstream>();
    for (;;) {
      const upstream = this.#o.policy.pick(this.#o.upstreams.list(), tried);
      if (upstream === undefined) {
        answerError(client, req.id, httpError('NO_WORKER', 'no worker is available for an upgrade', { 'Retry-After': '1' }));
        return;
      }
      tried.add(upstream);
      let worker: Socket;
      try {
        worker = await upstream.transport.pool.connectRaw();
      } catch (err) {
        // Nothing was sent: another worker may take it.
        if (classify(err) === 'connect') markConnectFailure(upstream, err);
        continue;
      }
      if (client.destroyed) {
        worker.destroy();
        return;
      }
      this.#tunnel(req, client, early, upstream, worker);
      return;
    }
  }

  /** Sends the upgrade request on `worker` and reads its answer; a 101 opens the tunnel. */
  #tunnel(req: HttpRequest, client: Socket, early: Buffer, upstream: Upstream, worker: Socket): void {
    upstream.begin();
    let settled = false;
    const end = (ok: boolean): void => {
      if (settled) return;
      settled = true;
      if (ok) upstream.end(true);
      else upstream.release();
      this.#open.delete(client);
      worker.destroy();
      closeGently(client);
    };
    client.once('close', () => end(true));
    worker.once('close', () => end(true));
    worker.on('error', () => {});
    const timer = setTimeout(() => {
      answerError(
        client,
        req.id,
        httpError('GATEWAY_TIMEOUT', `worker ${upstream.id} did not answer the upgrade within ${this.#o.answerTimeoutMs} ms`),
      );
      end(false);
    }, this.#o.answerTimeoutMs);
    timer.unref();
    worker.write(upgradeHead(req, upstream.transport.pool.authority), 'latin1');
    if (early.length > 0) worker.write(early);
    let head: ResponseHead | undefined;
    const decoder = new ResponseDecoder(
      req.method,
      {
        onHead: (h, body, complete) => {
          head = h;
          if (h.status === 101) return;
          // Not switching: relayed as a normal answer, and the connection closes after it.
          client.write(`${relayedLines(h)}${dateLine()}X-Request-Id: ${req.id}\r\nConnection: close\r\n\r\n`, 'latin1');
          if (body !== undefined) client.write(Buffer.from(body));
          if (complete) client.end();
        },
        onData: (data, complete) => {
          if (data.length > 0) client.write(Buffer.from(data));
          if (complete) client.end();
        },
      },
      { raw: true, upgrade: true },
    );
    const onData = (chunk: Buffer): void => {
      let used: number;
      try {
        used = decoder.feed(chunk);
      } catch (err) {
        clearTimeout(timer);
        worker.off('data', onData);
        this.#log.warn(
          { event: 'tunnel_failed', request_id: req.id, worker: upstream.id, error: describeError(err) },
          'worker answered an upgrade badly',
        );
        if (head === undefined) answerError(client, req.id, httpError('BAD_GATEWAY', `worker ${upstream.id}: ${describeError(err)}`));
        end(false);
        return;
      }
      if (head === undefined) return;
      clearTimeout(timer);
      if (head.status !== 101) return;
      worker.off('data', onData);
      client.write(`${head.text}\r\n`, 'latin1');
      if (used < chunk.length) client.write(chunk.subarray(used));
      this.#open.add(client);
      this.opened++;
      this.#splice(client, worker);
    };
    worker.on('data', onData);
    worker.once('end', () => {
      if (decoder.untilClose) decoder.end();
    });
  }

  /** Bytes both ways with backpressure (pipe) until either side closes or both stay idle. */
  #splice(client: Socket, worker: Socket): void {
    client.pipe(worker);
    worker.pipe(client);
    client.resume();
    const idle = this.#o.idleTimeoutMs;
    if (idle > 0) {
      // Node re-arms a socket's timeout on its own reads and writes: each side times out
      // only when nothing crossed it for `idle`, and bytes either way cross both.
      client.setTimeout(idle, () => client.destroy());
      worker.setTimeout(idle, () => worker.destroy());
    }
  }

  /** Graceful shutdown: every open tunnel closes now. */
  closeAll(): void {
    for (const s of this.#open) s.destroy();
  }
}

/** The upgrade request for the worker: hop-by-hop fields dropped but the upgrade itself; proxy fields added. */
function upgradeHead(req: HttpRequest, authority: string): string {
  const fields = req.fieldList;
  let text = `${req.method} ${originForm(req)} HTTP/1.1\r\n`;
  let host = false;
  let xff: string | undefined;
  let forwarded: string | undefined;
  for (let i = 0; i < fields.length; i += 2) {
    const name = fields[i];
    const value = fields[i + 1];
    if (name === 'x-forwarded-for') xff = xff === undefined ? value : `${xff}, ${value}`;
    else if (name === 'forwarded') forwarded = forwarded === undefined ? value : `${forwarded}, ${value}`;
    if (name === 'upgrade') text += `upgrade: ${value}\r\n`;
    if (HOP_BY_HOP.has(name) || REBUILT.has(name)) continue;
    if (name === 'host') host = true;
    text += `${name}: ${value}\r\n`;
  }
  if (!host) text += `host: ${authority}\r\n`;
  text += 'connection: upgrade\r\n';
  const added = proxyFields(clientAddress(req.remoteAddress), xff, forwarded, req.id);
  for (let i = 0; i < added.length; i += 2) text += `${added[i]}: ${added[i + 1]}\r\n`;
  return `${text}\r\n`;
}

/** How long a closing client may take to read what is left for it. */
const CLOSE_GRACE_MS = 2000;

/** Ends `socket` after what was written to it (FIN), destroying it if it does not close soon. */
function closeGently(socket: Socket): void {
  if (socket.destroyed) return;
  socket.end();
  const timer = setTimeout(() => socket.destroy(), CLOSE_GRACE_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}

/** A SPEC §2 error answer on a taken-over socket, then the close. */
function answerError(socket: Socket, requestId: string, err: HttpError): void {
  if (socket.destroyed) return;
  const body = errorBody(err.code, err.message, requestId);
  let head = statusLine(err.status);
  for (const [k, v] of Object.entries(err.headers)) head += `${k}: ${v}\r\n`;
  head += `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${dateLine()}X-Request-Id: ${requestId}\r\nConnection: close\r\n\r\n`;
  socket.end(head + body);
}
