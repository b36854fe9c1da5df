/**
 * A connection's decisions as pure functions of its state: which timeout, if any, has
 * passed (the server's sweep asks), and whether an answer may leave the connection open.
 */
import type { Framing } from '../codec/framing.js';
import type { EngineOptions } from './options.js';

/** How long a half-closed connection may linger before it is destroyed. */
export const CLOSE_GRACE_MS = 2000;

export interface TimeoutState {
  readonly now: number;
  readonly output: {
    /** Since when the client takes none of our bytes (0: it keeps up). */
    readonly blockedSince: number;
    /** When the client last took everything we had written (0: never had to wait). */
    readonly drainedAt: number;
  };
  /** When we half-closed (0: not yet). */
  readonly endingSince: number;
  /** A body is being received and we are waiting for the client's bytes (not pausing it ourselves). */
  readonly awaitingBody: boolean;
  /** A body is being received at all. */
  readonly receivingBody: boolean;
  /** A handler is working on an exchange. */
  readonly handling: boolean;
  /** Bytes of a request head wait for the rest. */
  readonly headPending: boolean;
  /** When the current phase started (idle, head or last body byte). */
  readonly since: number;
  readonly headStarted: number;
  readonly closing: boolean;
  /** No request has begun on the connection yet. */
  readonly fresh: boolean;
}

/** What the sweep does: nothing, close at once, or answer 408 for a slow body or head. */
export type TimeoutVerdict = 'none' | 'destroy' | 'body' | 'head';

export function timeoutVerdict(s: TimeoutState, o: EngineOptions): TimeoutVerdict {
  // A client that takes none of our bytes for the send timeout is gone in all but name.
  const { blockedSince, drainedAt } = s.output;
  if (blockedSince !== 0 && s.now - blockedSince > o.sendTimeoutMs) return 'destroy';
  if (s.endingSince !== 0) return s.now - s.endingSince > CLOSE_GRACE_MS ? 'destroy' : 'none';
  if (s.receivingBody) return s.awaitingBody && s.now - s.since > o.bodyTimeoutMs ? 'body' : 'none';
  // The handler is working: not the client's fault.
  if (s.handling) return 'none';
  if (s.headPending) return s.now - s.headStarted > o.headerTimeoutMs ? 'head' : 'none';
  if (s.closing) return 'destroy';
  // Idle starts when the client has the whole answer, not when we queued it: a close on our
  // clock would cut off a large answer the client is still reading, or meet its next request
  // on the wire (the client's keep-alive clock starts when it has read the answer).
  if (blockedSince !== 0) return 'none';
  // A new connection waits for its first request as long as for a head (nginx's
  // client_header_timeout, Node's headersTimeout): a client may connect ahead of its request
  // (a browser's preconnect, a pool warming up), and the keep-alive timeout governs only the
  // time between requests. Nothing was asked, so nothing is answered: a quiet close.
  const limit = s.fresh ? o.headerTimeoutMs : o.keepAliveTimeoutMs;
  return s.now - Math.max(s.since, drainedAt) > limit ? 'destroy' : 'none';
}

export interface PersistenceState {
  readonly framing: Framing;
  readonly status: number;
  /** The answer's body ends with the connection. */
  readonly closeDelimited: boolean;
  /** The connection is to close after this exchange already (or the server is closing). */
  readonly closeAfter: boolean;
  /** Requests served on the connection, this one included. */
  readonly served: number;
  /** The request body is not all read: its bytes still to come (-1: chunked), and whether the client waits for 100 Continue. */
  readonly unreadBody: { readonly remaining: number; readonly continuePending: boolean } | undefined;
}

/** Whether the connection stays open after this answer. */
export function keepsAlive(s: PersistenceState, o: EngineOptions): boolean {
  if (!s.framing.keepAlive || s.closeDelimited || s.closeAfter) return false;
  if (o.maxRequestsPerConnection > 0 && s.served >= o.maxRequestsPerConnection) return false;
  // An unread body must be read and dropped to find the next request: only when it is
  // small and the client will send it (it is not waiting for 100 Continue).
  const b = s.unreadBody;
  if (b !== undefined && (b.continuePending || b.remaining > o.maxDiscardBytes)) return false;
  return s.status !== 408 && s.status !== 413;
}
