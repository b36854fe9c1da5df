/**
 * A connection's client address, read once. Node's socket.remoteAddress goes through a
 * megamorphic lookup on every read (and a getpeername(2) on the first); every request's
 * access line reads it, so a connection keeps the answer for all of its requests.
 */
import type { Socket } from 'node:net';

export class Peer {
  readonly #socket: Socket;
  #address: string | undefined;
  #port: number | undefined;

  constructor(socket: Socket) {
    this.#socket = socket;
  }

  /** '' when unknown (a Unix socket, or a socket already closed when first asked). */
  get remoteAddress(): string {
    return (this.#address ??= this.#socket.remoteAddress ?? '');
  }

  /** 0 when unknown. */
  get remotePort(): number {
    return (this.#port ??= this.#socket.remotePort ?? 0);
  }
}
