/**
 * The engine's Upgrade hook (RFC 9110 §7.8). A request asking to switch protocols
 * (`Connection: upgrade` + `Upgrade: …`, HTTP/1.1, no body) is offered to the server's
 * hook before anything else sees it. A hook that takes the socket owns it from then on:
 * it writes its own `101 Switching Protocols` (or anything else) and the connection that
 * parsed the request detaches (no more parsing, no timeouts; the server still counts the
 * socket against --max-connections and closes it at the end of a graceful shutdown). A
 * hook that declines — `h2c`, an unknown protocol, a bad handshake — leaves the request to
 * be answered as plain HTTP/1.1, the upgrade ignored.
 */
import type { Socket } from 'node:net';
import type { Framing } from '../codec/framing.js';
import type { ParsedHead } from '../codec/request-head.js';
import type { Target } from '../codec/target.js';
import type { Peer } from './peer.js';
import { Request } from './request.js';
import type { HttpRequest } from './types.js';

/**
 * Returns true when it took the socket. `head` holds the bytes the client sent after the
 * request head (the new protocol's first bytes; often empty). The socket is handed over
 * flowing, with the engine's listeners left inert: a taker attaches its own 'data'
 * listener before returning (or pauses the socket). The socket allows half-open
 * connections: the client's FIN ('end') is the taker's to answer with end().
 */
export type UpgradeHook = (req: HttpRequest, socket: Socket, head: Buffer) => boolean;

/** The request to offer, or undefined when it does not ask for an upgrade (or cannot have one). */
export function upgradeRequestOf(
  head: ParsedHead,
  framing: Framing,
  target: Target,
  path: string,
  peer: Peer,
  now: number,
): Request | undefined {
  // framing.upgrade: an Upgrade field that Connection names, on HTTP/1.1 (framing.ts).
  if (framing.upgrade === undefined || framing.upgrade === '' || framing.body !== 'none') return undefined;
  return new Request(head, framing, target, path, peer, null, now);
}
