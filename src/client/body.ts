/**
 * A response body as the promise API gives it (undici's shape): a Readable (async-iterable, with backpressure that
 * reaches the socket) plus `text()`, `json()` and `dump()`, which the health checker and
 * the jobs code call.
 */
import { Readable } from 'node:stream';

/** What the body needs from its connection. */
export interface BodySource {
  /** The consumer wants more: resume reading the socket. */
  resume(): void;
  /** The consumer gave up before the end: the connection cannot be reused. */
  abandon(): void;
}

/** `dump()` reads at most this much before cutting the connection instead (undici: 128 KiB). */
const DUMP_LIMIT = 128 * 1024;

export class ResponseBody extends Readable {
  readonly #source: BodySource;
  #ended = false;

  constructor(source: BodySource) {
    super();
    this.#source = source;
    this.once('end', () => {
      this.#ended = true;
    });
  }

  override _read(): void {
    this.#source.resume();
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    if (!this.#ended && !this.readableEnded) this.#source.abandon();
    callback(err);
  }

  async bytes(): Promise<Buffer> {
    const parts: Buffer[] = [];
    for await (const chunk of this) parts.push(chunk as Buffer);
    return Buffer.concat(parts);
  }

  async text(): Promise<string> {
    return (await this.bytes()).toString('utf8');
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text()) as unknown;
  }

  /** Discards the body; a long one is cut off rather than read (as undici does). */
  async dump(): Promise<void> {
    let seen = 0;
    for await (const chunk of this) {
      seen += (chunk as Buffer).length;
      if (seen > DUMP_LIMIT) {
        this.destroy();
        return;
      }
    }
  }
}
