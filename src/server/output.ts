/**
 * A connection's writes. The answers of the requests one read brings are gathered into one
 * string and written with one system call once every connection with input in this turn of
 * the event loop has been read (flushSoon); so are the relayed answers a dispatcher gets
 * whole from one read of a worker's connection (writeLatin1Soon: dispatcher CPU per request
 * -5 to -7 % at GET /ping). A client that takes none of what was written keeps a clock
 * running (`blockedSince`) that the send timeout reads.
 *
 * Why at the end of the turn: a write that reaches a client asleep in epoll wakes it, and
 * on a virtual machine that wake-up (an interrupt to the client's CPU) is paid by the writer:
 * a seventh of a worker's CPU at GET /ping. Answers written one after another, at the end of
 * the turn, find a client still awake reading the earlier ones; written as each request is
 * handled, they arrive tens of µs apart and each may wake it anew. GET /ping keep-alive,
 * c=50: worker CPU per request -15 %, p50 latency 1.2 -> 0.85 ms (bench/results/issue-18-runs.md).
 */
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';

/** Outputs whose gathered answers wait for the end of the turn. */
const soon: Output[] = [];
let soonScheduled = false;

function flushAllSoon(): void {
  soonScheduled = false;
  const due = soon.splice(0);
  for (const o of due) o.flush();
}

export class Output {
  /** Listed in `soon`. */
  #due = false;
  readonly #socket: Socket;
  #out = '';
  /** `#out` holds latin1 text (relayed bytes, a byte per character) rather than UTF-8 text. */
  #outLatin1 = false;
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
      // Latin1 text and UTF-8 text are not joined: what was gathered of the other kind leaves first.
      if (this.#outLatin1) this.flush();
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

  /**
   * Gathers latin1 text that is a whole answer (a relayed response that came in one read)
   * and writes it at the end of the turn, as flushSoon; true, as it is not written yet.
   */
  writeLatin1Soon(text: string): boolean {
    if (this.#socket.destroyed) return false;
    if (this.#out !== '' && !this.#outLatin1) this.flush();
    this.#out += text;
    this.#outLatin1 = true;
    this.flushSoon();
    return true;
  }

  /**
   * Writes what was gathered once the input of this turn has been read (setImmediate runs
   * right after the poll phase); any other write or end() writes it first, in order.
   */
  flushSoon(): void {
    if (this.#out === '' || this.#due) return;
    this.#due = true;
    soon.push(this);
    if (!soonScheduled) {
      soonScheduled = true;
      setImmediate(flushAllSoon);
    }
  }

  /** Writes what was gathered, now. */
  flush(): void {
    this.#due = false;
    if (this.#out === '') return;
    const out = this.#out;
    const latin1 = this.#outLatin1;
    this.#out = '';
    this.#outLatin1 = false;
    if (!this.#socket.destroyed) this.#written(this.#socket.write(out, latin1 ? 'latin1' : 'utf8'));
  }

  /**
   * Half-closes after what was gathered. Once only: ending twice would make Node build an
   * error object per connection.
   */
  end(): void {
    this.flush();
    if (!this.#socket.writableEnded) this.#socket.end();
  }

  /**
   * Closes now if the kernel holds everything written and the socket is plain TCP: close(2)
   * sends the FIN after the bytes the kernel holds, as shutdown(2) would, without the
   * shutdown round trip through Node's stream (a sixth of a Connection: close exchange's CPU).
   * A TLS socket is left to end(), so that its close_notify goes out. True when closed.
   */
  closeIfWritten(): boolean {
    this.flush();
    const s = this.#socket;
    if (s.destroyed || s.writableLength > 0 || (s as Partial<TLSSocket>).encrypted === true) return false;
    s.destroy();
    return true;
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
