/**
 * Members that come and go all the time (a server's sockets and connections), kept in an
 * array: a member leaves by having the last one moved into its place, and each member carries
 * its position under a symbol of its list.
 *
 * Why not a Set: V8 rebuilds a Set's hash table as members come and go, and a table it has
 * replaced stays linked to the one after it. Once such a table is in the old generation, the
 * young tables after it, and every socket they list, survive each scavenge until a full
 * collection. Under `Connection: close` that was half of what each scavenge promoted and half
 * of its pause (bench/results/issue-18-runs.md). An array's store is replaced only when it grows.
 */
type Held = Record<symbol, number | undefined>;

export class LiveList<T extends object> {
  readonly #items: T[] = [];
  readonly #slot = Symbol('LiveList slot');

  get size(): number {
    return this.#items.length;
  }

  has(item: T): boolean {
    const i = (item as Held)[this.#slot];
    return i !== undefined && this.#items[i] === item;
  }

  add(item: T): void {
    if (this.has(item)) return;
    (item as Held)[this.#slot] = this.#items.length;
    this.#items.push(item);
  }

  /** False when `item` was not a member. */
  delete(item: T): boolean {
    if (!this.has(item)) return false;
    const held = item as Held;
    const i = held[this.#slot] as number;
    const last = this.#items.pop() as T;
    if (last !== item) {
      this.#items[i] = last;
      (last as Held)[this.#slot] = i;
    }
    held[this.#slot] = undefined;
    return true;
  }

  /** The members now, as a copy: safe to walk while members leave or join. */
  toArray(): T[] {
    return this.#items.slice();
  }
}
