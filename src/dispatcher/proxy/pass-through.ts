/**
 * The forwarder's fast path: GET and HEAD requests (no body) relayed as bytes. The client's
 * head, checked by the engine, goes to the worker as it came, less its hop-by-hop fields
 * and with the proxy fields added (the same rewriting as forward-headers.ts); the worker's
 * response comes back through ResponseRelay without request or response objects on
 * either side. That halves what forwarding costs per request (docs/benchmarks.md).
 *
 * It handles only the plain case and hands everything else to the Forwarder, before a
 * byte of the response was sent (PassExchange.fallback): no worker available (the
 * Forwarder holds the request), a failed attempt (the Forwarder retries it under its
 * rules - GET and HEAD are idempotent, so trying again is safe), the dispatcher's own
 * routes and absolute-form targets (never taken). A worker that times out is answered
 * with 504 at once, as the Forwarder would.
 *
 * Requests for targets known to be answered quickly (quick-targets.ts) are pipelined: those
 * of one turn of the event loop go to the worker together, on one connection
 * (RawPool.pass). A failure of such a connection hands the requests still waiting back to
 * the Forwarder, like any failure before the response head.
 */
import type { PassExchange, PassThrough } from '../../server/pass-exchange.js';
import { httpError } from '../../common/errors.js';
import type { PassControl, PassTarget } from '../../client/connection.js';
import { UnansweredError } from '../../client/errors.js';
import { HOP_BY_HOP, REBUILT, clientAddress, connectionTokens, proxyFields } from './forward-headers.js';
import { markConnectFailure } from '../health/health.js';
import { NOOP_LOGGER, type EventLogger } from '../logger.js';
import { QuickTargets } from './quick-targets.js';
import { classify, describeError } from './retry.js';
import type { SelectionPolicy } from '../balance/selection.js';
import type { Upstream } from '../upstreams/upstream.js';
import type { UpstreamSet } from '../upstreams/upstream-set.js';

export interface PassThroughOptions {
  upstreams: UpstreamSet;
  policy: SelectionPolicy;
  /** Paths the dispatcher answers itself: never taken. */
  isLocal(path: string): boolean;
  /** As the Forwarder's upstreamTimeoutMs. */
  upstreamTimeoutMs: number;
  /** Passive health, as the Forwarder's. @default markConnectFailure */
  onConnectFailure?: (upstream: Upstream, err: unknown) => void;
  /** A relayed exchange ended: the status sent (0 when the client went away first). */
  onDone?: (ex: PassExchange, status: number) => void;
  /** A relayed exchange began (for in-flight counts). */
  onStart?: (ex: PassExchange) => void;
  logger?: EventLogger;
}

const NONE: ReadonlySet<Upstream> = new Set();

export class PassThroughForwarder implements PassThrough {
  readonly #set: UpstreamSet;
  readonly #policy: SelectionPolicy;
  readonly #isLocal: (path: string) => boolean;
  readonly timeoutMs: number;
  readonly onConnectFailure: (upstream: Upstream, err: unknown) => void;
  readonly onDone: (ex: PassExchange, status: number) => void;
  readonly #onStart: (ex: PassExchange) => void;
  readonly log: EventLogger;
  /** What the workers answer quickly (the requests that may be pipelined). */
  readonly quick = new QuickTargets();
  /** Exchanges taken, and those of them handed back to the Forwarder after a failed attempt. */
  taken = 0;
  handedBack = 0;
  /** Exchanges taken as quick: pipelined with the other quick ones of their turn, if any. */
  pipelined = 0;

  constructor(options: PassThroughOptions) {
    this.#set = options.upstreams;
    this.#policy = options.policy;
    this.#isLocal = options.isLocal;
    this.timeoutMs = options.upstreamTimeoutMs;
    this.onConnectFailure = options.onConnectFailure ?? markConnectFailure;
    this.onDone = options.onDone ?? (() => {});
    this.#onStart = options.onStart ?? (() => {});
    this.log = options.logger ?? NOOP_LOGGER;
  }

  take(ex: PassExchange): boolean {
    if (ex.method !== 'GET' && ex.method !== 'HEAD') return false;
    // Origin-form only ('/…'): absolute-form is rewritten by the Forwarder, '*' is ours.
    if (ex.target.charCodeAt(0) !== 0x2f || this.#isLocal(ex.path)) return false;
    const upstream = this.#policy.pick(this.#set.list(), NONE);
    if (upstream === undefined || upstream.client !== 'raw') return false;
    this.taken++;
    const quick = this.quick.isQuick(ex.method, ex.target, upstream.probeMs);
    if (quick) this.pipelined++;
    this.#onStart(ex);
    new Relay(this, ex, upstream).start(upstreamHead(ex), quick);
    return true;
  }
}

/** One relayed exchange: the worker's response handed on to the client as it arrives. */
class Relay implements PassTarget {
  readonly #fwd: PassThroughForwarder;
  readonly #ex: PassExchange;
  readonly #upstream: Upstream;
  #control: PassControl | undefined;
  #t0 = 0;
  #ttfb = 0;
  #ended = false;

  constructor(fwd: PassThroughForwarder, ex: PassExchange, upstream: Upstream) {
    this.#fwd = fwd;
    this.#ex = ex;
    this.#upstream = upstream;
  }

  start(head: string, quick: boolean): void {
    this.#t0 = performance.now();
    this.#upstream.begin();
    this.#ex.onAbort = () => {
      // The client went away: no verdict on the worker; its connection cannot be reused.
      this.#control?.abort();
      this.#end();
      this.#upstream.release();
    };
    this.#control = this.#upstream.rawPool.pass(head, this.#ex.method, this, this.#fwd.timeoutMs, quick);
  }

  onHead(status: number, lines: string, body: Buffer | undefined, complete: boolean, closeDelimited: boolean): boolean {
    this.#ttfb = performance.now() - this.#t0;
    if (this.#ex.done) return true;
    const ok = this.#ex.sendHead(status, lines, body, complete, closeDelimited);
    return this.#after(ok, complete);
  }

  onData(data: Buffer, complete: boolean): boolean {
    if (this.#ex.done) return true;
    // A view of the connection's reused read buffer: the socket may still hold it after write().
    const ok = this.#ex.write(data.length === 0 ? data : Buffer.from(data), complete);
    return this.#after(ok, complete);
  }

  onFail(err: unknown, headSeen: boolean): void {
    const ex = this.#ex;
    const upstream = this.#upstream;
    if (this.#ended || ex.done) return; // the client's own going away was handled
    this.#end();
    if (err instanceof UnansweredError && !err.workerFailed) {
      // A pipelined request sent back in order (the worker closed after an earlier answer, as
      // every --max-requests-per-connection; or a slow client held the one before it): no
      // verdict on the worker and nothing to warn about - it simply goes again.
      upstream.release();
      this.#fwd.handedBack++;
      ex.fallback();
      return;
    }
    upstream.end(false);
    if (headSeen || ex.headSent) {
      // The head went to the client with onHead: too late for another answer.
      this.#fwd.log.error(
        { event: 'upstream_failed_mid_response', request_id: ex.id, worker: upstream.id, error: describeError(err) },
        'worker failed mid-response',
      );
      ex.destroy();
      return;
    }
    const kind = classify(err);
    if (kind === 'connect') this.#fwd.onConnectFailure(upstream, err);
    if (kind === 'timeout') {
      const msg = `worker ${upstream.id} did not answer within ${this.#fwd.timeoutMs} ms`;
      this.#fwd.log.error({ event: 'upstream_failed', request_id: ex.id, worker: upstream.id, error: msg }, 'forwarding failed');
      this.#fwd.handedBack++;
      ex.fallback(() => {
        throw httpError('GATEWAY_TIMEOUT', msg);
      });
      return;
    }
    // The Forwarder tries again (another worker, its retry budget, holding if none is up).
    this.#fwd.log.warn(
      { event: 'retry', request_id: ex.id, worker: upstream.id, kind, error: describeError(err), retries_used: 0 },
      'retrying request on another worker',
    );
    this.#fwd.handedBack++;
    ex.fallback();
  }

  /** After a write: done, or paused until the client's socket drained. */
  #after(ok: boolean, complete: boolean): boolean {
    if (complete) {
      this.#fwd.quick.record(this.#ex.method, this.#ex.target, performance.now() - this.#t0);
      this.#end();
      this.#upstream.end(true, this.#ttfb);
      return true;
    }
    if (ok) return true;
    const control = this.#control;
    this.#ex.whenDrained(() => control?.resume());
    return false;
  }

  #end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#fwd.onDone(this.#ex, this.#ex.status);
  }
}

/**
 * The request head for the worker: the client's as it came when no field needs to go (the
 * common case), else rebuilt from the parsed fields; then the proxy fields and the blank
 * line. latin1 text, a byte per character, as the engine decoded it.
 */
function upstreamHead(ex: PassExchange): string {
  const fields = ex.fields;
  let rebuild = false;
  for (let i = 0; i < fields.length; i += 2) {
    if (HOP_BY_HOP.has(fields[i]) || REBUILT.has(fields[i])) {
      rebuild = true;
      break;
    }
  }
  if (!rebuild) {
    // The proxy fields but the id depend only on the client's address: once per connection.
    let prefix = ex.memo as string | undefined;
    if (prefix === undefined) {
      const added = proxyFields(clientAddress(ex.remoteAddress), undefined, undefined, '');
      prefix = '';
      for (let i = 0; i < added.length - 2; i += 2) prefix += `${added[i]}: ${added[i + 1]}\r\n`;
      prefix += `${added[added.length - 2]}: `;
      ex.memo = prefix;
    }
    return `${ex.head}${prefix}${ex.id}\r\n\r\n`;
  }
  let xff: string | undefined;
  let forwarded: string | undefined;
  let connection: string | undefined;
  for (let i = 0; i < fields.length; i += 2) {
    const name = fields[i];
    const value = fields[i + 1];
    if (name === 'x-forwarded-for') xff = xff === undefined ? value : `${xff}, ${value}`;
    else if (name === 'forwarded') forwarded = forwarded === undefined ? value : `${forwarded}, ${value}`;
    else if (name === 'connection') connection = connection === undefined ? value : `${connection}, ${value}`;
  }
  const dropped = connection === undefined ? undefined : connectionTokens([connection]);
  const head = ex.head;
  let text = head.slice(0, head.indexOf('\r\n') + 2);
  for (let i = 0; i < fields.length; i += 2) {
    const name = fields[i];
    if (HOP_BY_HOP.has(name) || REBUILT.has(name) || dropped?.has(name) === true) continue;
    text += `${name}: ${fields[i + 1]}\r\n`;
  }
  const added = proxyFields(clientAddress(ex.remoteAddress), xff, forwarded, ex.id);
  for (let i = 0; i < added.length; i += 2) text += `${added[i]}: ${added[i + 1]}\r\n`;
  return `${text}\r\n`;
}
