/**
 * The bytes a connection has read but not parsed yet. The common case - a read holding
 * whole requests - keeps the socket's chunk as it is (a server socket hands out a fresh
 * Buffer per read). Bytes that must wait for more (a head split across reads) are copied
 * once into a buffer that grows by doubling, so a request trickled in byte by byte costs
 * copying linear in its size, never the whole buffer again per read.
 */
export class InputBuffer {
  /** The unparsed bytes: a view of the last chunk or of `#store`; null when empty. */
  #view: Buffer | null = null;
  /** Owned storage once bytes had to be joined; `#view` ends at `#used`. */
  #store: Buffer | null = null;
  #used = 0;

  get bytes(): Buffer | null {
    return this.#view;
  }

  get length(): number {
    return this.#view?.length ?? 0;
  }

  append(chunk: Buffer): void {
    const view = this.#view;
    if (view === null) {
      this.#view = chunk;
      this.#store = null;
      return;
    }
    const store = this.#store;
    const viewEnd = view.byteOffset + view.length;
    if (
      store !== null &&
      view.buffer === store.buffer &&
      viewEnd === store.byteOffset + this.#used &&
      this.#used + chunk.length <= store.length
    ) {
      chunk.copy(store, this.#used);
      this.#used += chunk.length;
      this.#view = store.subarray(view.byteOffset - store.byteOffset, this.#used);
      return;
    }
    const total = view.length + chunk.length;
    const grown = Buffer.allocUnsafe(Math.max(4096, total * 2));
    view.copy(grown, 0);
    chunk.copy(grown, view.length);
    this.#store = grown;
    this.#used = total;
    this.#view = grown.subarray(0, total);
  }

  /** Drops the first `n` bytes (they were parsed). */
  consume(n: number): void {
    const view = this.#view;
    if (view === null) return;
    this.#view = n >= view.length ? null : view.subarray(n);
    if (this.#view === null) this.#store = null;
  }

  /** Replaces the contents with `rest` (bytes that follow a body, as the body reader returns them). */
  reset(rest: Buffer | null): void {
    this.#view = rest;
    this.#store = null;
  }

  clear(): void {
    this.#view = null;
    this.#store = null;
  }
}
