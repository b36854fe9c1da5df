/**
 * The dispatcher's Router, which also knows which paths it owns. The dispatcher answers
 * those (with the router's own 404/405 rules) and forwards every other request, whatever
 * its method - so a worker's 404, 405 or POST endpoint is never shadowed. Each owned path
 * has a bounded metrics label.
 */
import { Router, type RouteOptions } from '../../server/router.js';
import type { Handler } from '../../server/types.js';

export class LabelledRouter extends Router {
  readonly #exact = new Map<string, string>();
  /** `prefix`: the literal start of the pattern, before its first `:param` segment. */
  readonly #patterns: Array<{ segments: string[]; label: string; prefix: string }> = [];
  #prefix = '';

  override add(methods: string | readonly string[], path: string, handler: Handler, options?: RouteOptions): this {
    const label = this.#prefix + path.replace(/^\//, '');
    if (path.includes(':')) this.#patterns.push({ segments: path.split('/'), label, prefix: path.slice(0, path.indexOf('/:') + 1) });
    else this.#exact.set(path, label);
    return super.add(methods, path, handler, options);
  }

  /** Routes added inside `register` get labels `<prefix><path>` (e.g. `jobs/montecarlo`). */
  withLabelPrefix(prefix: string, register: () => void): void {
    const saved = this.#prefix;
    this.#prefix = prefix;
    try {
      register();
    } finally {
      this.#prefix = saved;
    }
  }

  /** The label of an owned path, or undefined when the request is to be forwarded. */
  labelOf(path: string): string | undefined {
    const exact = this.#exact.get(path);
    if (exact !== undefined || this.#patterns.length === 0) return exact;
    // Every forwarded request asks: rule patterns out by their literal start before splitting.
    let parts: string[] | undefined;
    for (const p of this.#patterns) {
      if (!path.startsWith(p.prefix)) continue;
      const split = (parts ??= path.split('/'));
      if (p.segments.length !== split.length) continue;
      if (p.segments.every((seg, i) => (seg.startsWith(':') ? split[i] !== '' : seg === split[i]))) return p.label;
    }
    return undefined;
  }
}
