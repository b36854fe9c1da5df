/**
 * One attempt's answer, from the worker's connection to the client's response. For an
 * HTTP/1.1 client the answer is relayed as it came - its head with the hop-by-hop fields
 * cut out, its body with the worker's framing - so nothing is parsed into objects or
 * serialised again; an HTTP/1.0 client gets the decoded payload re-framed by the engine.
 * Backpressure both ways: a client that reads slowly pauses the worker's connection.
 */
import type { ExchangeControl, ResponseHandler } from '../../client/handler.js';
import type { ResponseHead } from '../../codec/response-head.js';
import type { HttpRequest, HttpResponse } from '../../server/types.js';
import { copyResponseHeaders, relayedLines } from './forward-headers.js';
import { ClientSideError } from './retry.js';

/** Who hears how an attempt ended (exactly once). */
export interface AttemptOwner {
  /** The answer was relayed whole. */
  attemptDone(relay: RelayHandler): void;
  /** The attempt failed; `headSeen`: the worker's head had arrived. */
  attemptFailed(relay: RelayHandler, err: unknown, headSeen: boolean): void;
}

export class RelayHandler implements ResponseHandler {
  readonly raw: boolean;
  readonly #req: HttpRequest;
  readonly #res: HttpResponse;
  readonly #owner: AttemptOwner;
  readonly startedAt: number;
  #control: ExchangeControl | undefined;
  #settled = false;
  #pausedForClient = false;
  #headSeen = false;
  /** Time to the worker's head, ms. */
  ttfbMs = 0;

  constructor(req: HttpRequest, res: HttpResponse, owner: AttemptOwner) {
    this.#req = req;
    this.#res = res;
    this.#owner = owner;
    this.raw = req.httpMinor === 1;
    this.startedAt = performance.now();
  }

  /** The exchange's control, once dispatched; the client going away gives the exchange up. */
  bind(control: ExchangeControl): void {
    this.#control = control;
    if (!this.#settled) this.#req.lightSignal.addEventListener('abort', this);
  }

  /** The client went away (this object is the abort listener: no closure per attempt). */
  handleEvent(): void {
    this.#control?.abort();
    this.#settle(new ClientSideError(this.#req.lightSignal.reason), true);
  }

  onHead(head: ResponseHead, body: Buffer | undefined, complete: boolean): boolean {
    this.ttfbMs = performance.now() - this.startedAt;
    this.#headSeen = true;
    if (this.#req.aborted) return true;
    const res = this.#res;
    let ok: boolean;
    if (this.raw) {
      ok = res.relayHead(head.status, relayedLines(head), body, complete, head.framing.kind === 'close');
    } else {
      copyResponseHeaders(head, res);
      res.status = head.status;
      if (complete) {
        res.end();
        ok = true;
      } else {
        ok = res.write(Buffer.alloc(0));
      }
    }
    return this.#after(ok, complete);
  }

  onData(data: Buffer, complete: boolean): boolean {
    if (this.#req.aborted) return true;
    const res = this.#res;
    let ok: boolean;
    if (this.raw) ok = res.relayData(data, complete);
    else {
      // A view of the connection's reused read buffer: the socket may hold it after write().
      ok = data.length === 0 ? true : res.write(Buffer.from(data));
      if (complete) res.end();
    }
    return this.#after(ok, complete);
  }

  onError(err: unknown, headSeen: boolean): void {
    this.#headSeen ||= headSeen;
    this.#settle(err, false);
  }

  /** After a write: done, or paused until the client's socket drained. */
  #after(ok: boolean, complete: boolean): boolean {
    if (complete) {
      this.#settle(undefined, false);
      return true;
    }
    if (ok) return true;
    if (!this.#pausedForClient) {
      this.#pausedForClient = true;
      void this.#res.drain().then(() => {
        this.#pausedForClient = false;
        this.#control?.resume();
      });
    }
    return false;
  }

  #settle(err: unknown, clientGone: boolean): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#req.lightSignal.removeEventListener('abort', this);
    if (err === undefined && !clientGone) this.#owner.attemptDone(this);
    else this.#owner.attemptFailed(this, err, this.#headSeen);
  }
}
