/**
 * A connection's writes. The answers of the requests one read brings are gathered into one
 * string and written with one system call at the end of that read; and a client that takes
 * none of what was written keeps a clock running (`blockedSince`) that the send timeout
 * reads.
 */
import type { Socket } from 'node:net';

export class Output {
  readonly #socket: Socket;
  #out = '';
  /** Gathering: string writes wait for flush(). */
  batching = false;
  /** Since when the client has not taken what we wrote (performance.now(); 0 = it keeps up). */
  blockedSince = 0;
  /** When the client last took all that was waiting (performance.now(); 0 = it never had to). */
  drainedAt = 0;

  constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('drain', () => {
      this.blockedSince = 0;
      this.drainedAt = performance.now();
    });
  }

  /** Writes (or gathers) `data` in order; false when the socket's buffer is full. */
  write(data: string | Buffer): boolean {
    const s = this.#socket;
    if (s.destroyed) return false;
    if (this.batching && typeof data === 'string') {
      this.#out += data;
      return true;
    }
    if (this.#out !== '') this.flush();
    return this.#written(s.write(data));
  }

  /** Writes latin1 text (a byte per character) after anything gathered. */
  writeLatin1(text: string): boolean {
    const s = this.#socket;
    if (s.destroyed) return false;
    if (this.#out !== '') this.flush();
    return this.#written(s.write(text, 'latin1'));
  }

  /** Writes what was gathered. */
  flush(): void {
    if (this.#out === '') return;
    const out = this.#out;
    this.#out = '';
    if (!this.#socket.destroyed) this.#written(this.#socket.write(out));
  }

  /**
   * Half-closes after what was gathered. Once only: ending twice would make Node build an
   * error object per connection.
   */
  end(): void {
    this.flush();
    if (!this.#socket.writableEnded) this.#socket.end();
  }

  /** Destroys the socket once all it was given has left (after end()). */
  destroyWhenFlushed(): void {
    const s = this.#socket;
    if (s.writableFinished) s.destroy();
    else s.once('finish', () => s.destroy());
  }

  #written(ok: boolean): boolean {
    if (!ok && this.blockedSince === 0) this.blockedSince = performance.now();
    return ok;
  }
}
