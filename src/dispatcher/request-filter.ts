/**
 * The dispatcher's request filter (Pingora's `request_filter` phase): what is refused
 * before anything is forwarded or answered. A request that already passed through this
 * dispatcher gets 508 (loop-guard.ts); a client over its token bucket gets 429 with
 * Retry-After (--rate-limit, keyed by the client address of client-address.ts). Every
 * request runs it first (`enforce`).
 */
import { type HttpError, httpError } from '../common/errors.js';
import { TrustedProxies, clientAddressOf } from '../common/client-address.js';
import { RateLimiter } from '../server/rate-limit.js';
import type { HttpRequest } from '../server/types.js';
import { passedThrough } from './loop-guard.js';

export interface RequestFilterOptions {
  /** Requests/s per client address; 0 = off. */
  rateLimit: number;
  rateBurst: number;
  /** Client addresses tracked at once. */
  rateLimitClients: number;
  /** CIDRs whose X-Forwarded-For is believed. */
  trustedProxies: readonly string[];
}

/**
 * The dispatcher's own probes and scrapes are never limited: a limited /ready would read
 * as a dead dispatcher to a load balancer.
 */
const UNLIMITED: ReadonlySet<string> = new Set(['/health', '/ready', '/metrics']);

export class RequestFilter {
  readonly #limiter: RateLimiter | undefined;
  readonly #trusted: TrustedProxies;
  readonly #limitText: string;

  constructor(options: RequestFilterOptions) {
    this.#trusted = new TrustedProxies(options.trustedProxies);
    this.#limiter =
      options.rateLimit > 0
        ? new RateLimiter({ ratePerSec: options.rateLimit, burst: options.rateBurst, maxKeys: options.rateLimitClients })
        : undefined;
    this.#limitText = `rate limit of ${options.rateLimit} requests/s (burst ${options.rateBurst}) exceeded`;
  }

  /**
   * The refusal of a request, or undefined to let it on. `via` and `forwardedFor` are the
   * request's Via and X-Forwarded-For field values (lines joined with commas).
   */
  check(path: string, peer: string, via: string | undefined, forwardedFor: string | undefined): HttpError | undefined {
    if (via !== undefined && passedThrough(via)) {
      return httpError('LOOP_DETECTED', 'the request already passed through this dispatcher (its Via field); forwarding it would loop');
    }
    if (this.#limiter === undefined || UNLIMITED.has(path)) return undefined;
    const took = this.#limiter.take(clientAddressOf(peer, forwardedFor, this.#trusted));
    return took.ok ? undefined : httpError('RATE_LIMITED', this.#limitText, { 'Retry-After': String(took.retryAfterSec) });
  }

  /** Whether `req` passes (for a path that cannot throw: the upgrade hook). Takes a token like enforce. */
  allows(req: HttpRequest): boolean {
    try {
      this.enforce(req);
      return true;
    } catch {
      return false;
    }
  }

  /** Throws the refusal of `req`, if any. Reads the parsed field list: no header object is made. */
  enforce(req: HttpRequest): void {
    let via: string | undefined;
    let xff: string | undefined;
    const fields = req.fieldList;
    for (let i = 0; i < fields.length; i += 2) {
      const name = fields[i];
      if (name === 'via') via = via === undefined ? fields[i + 1] : `${via}, ${fields[i + 1]}`;
      else if (name === 'x-forwarded-for') xff = xff === undefined ? fields[i + 1] : `${xff}, ${fields[i + 1]}`;
    }
    const denied = this.check(req.path, req.remoteAddress, via, xff);
    if (denied !== undefined) throw denied;
  }

  /** Forgets every client and stops the limiter's sweep timer. */
  close(): void {
    this.#limiter?.close();
  }
}
