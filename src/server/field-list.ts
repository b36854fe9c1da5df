/** Request header access over the parser's flat [name, value, …] list: no copies made. */
import type { HeaderMap } from './types.js';

export class FieldList implements HeaderMap {
  readonly #f: string[];

  constructor(fields: string[]) {
    this.#f = fields;
  }

  get(name: string): string | undefined {
    const n = name.toLowerCase();
    const f = this.#f;
    let out: string | undefined;
    for (let i = 0; i < f.length; i += 2) {
      if (f[i] === n) out = out === undefined ? f[i + 1] : `${out}, ${f[i + 1]}`;
    }
    return out;
  }

  getAll(name: string): string[] {
    const n = name.toLowerCase();
    const out: string[] = [];
    for (let i = 0; i < this.#f.length; i += 2) if (this.#f[i] === n) out.push(this.#f[i + 1]);
    return out;
  }

  has(name: string): boolean {
    const n = name.toLowerCase();
    for (let i = 0; i < this.#f.length; i += 2) if (this.#f[i] === n) return true;
    return false;
  }

  *entries(): Iterable<[string, string]> {
    for (let i = 0; i < this.#f.length; i += 2) yield [this.#f[i], this.#f[i + 1]];
  }
}
