/**
 * A byte-bounded LRU of small file bodies, keyed by real path. Entries are validated on
 * every hit against a fresh stat (size, mtime, inode), so an edit in place or an atomic
 * rename-over is seen on the next request; the caller pays one stat, not an open+read.
 */

export interface FileIdentity {
  readonly size: number;
  readonly mtimeMs: number;
  readonly ino: number;
}

interface Entry extends FileIdentity {
  readonly body: Buffer;
}

export class FileCache {
  readonly #maxBytes: number;
  // Map iteration order is insertion order: the first key is the least recently used.
  readonly #entries = new Map<string, Entry>();
  #bytes = 0;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  /** Total cached body bytes. */
  get bytes(): number {
    return this.#bytes;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The cached body when it still matches `id`; a stale entry is dropped. */
  get(key: string, id: FileIdentity): Buffer | undefined {
    const e = this.#entries.get(key);
    if (e === undefined) return undefined;
    this.#entries.delete(key);
    if (e.size !== id.size || e.mtimeMs !== id.mtimeMs || e.ino !== id.ino) {
      this.#bytes -= e.body.length;
      return undefined;
    }
    this.#entries.set(key, e);
    return e.body;
  }

  set(key: string, id: FileIdentity, body: Buffer): void {
    if (body.length > this.#maxBytes) return;
    const old = this.#entries.get(key);
    if (old !== undefined) {
      this.#entries.delete(key);
      this.#bytes -= old.body.length;
    }
    while (this.#bytes + body.length > this.#maxBytes) {
      const oldest = this.#entries.keys().next();
      if (oldest.done === true) break;
      const victim = this.#entries.get(oldest.value);
      this.#entries.delete(oldest.value);
      if (victim !== undefined) this.#bytes -= victim.body.length;
    }
    this.#entries.set(key, { size: id.size, mtimeMs: id.mtimeMs, ino: id.ino, body });
    this.#bytes += body.length;
  }

  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
  }
}
