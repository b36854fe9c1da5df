/**
 * Selection policies: which upstream gets the next request. They only *read* upstream
 * state (`available`, `load`); every implementation passes the shared contract suite in
 * test/dispatcher/selection.test.ts.
 */
import { BALANCE_POLICIES } from '../../config/schema.js';
import type { Upstream } from '../upstreams/upstream.js';

export interface SelectionPolicy {
  readonly name: string;
  /**
   * An available upstream (active, not draining) from `candidates` that is not in
   * `exclude`, or undefined when there is none.
   */
  pick(candidates: readonly Upstream[], exclude?: ReadonlySet<Upstream>): Upstream | undefined;
}

function eligible(u: Upstream, exclude: ReadonlySet<Upstream> | undefined): boolean {
  return u.available && !(exclude?.has(u) ?? false);
}

/** Each eligible upstream in turn. */
export class RoundRobin implements SelectionPolicy {
  readonly name = 'round-robin';
  #next = 0;

  pick(candidates: readonly Upstream[], exclude?: ReadonlySet<Upstream>): Upstream | undefined {
    const n = candidates.length;
    for (let i = 0; i < n; i++) {
      const index = (this.#next + i) % n;
      const u = candidates[index];
      if (eligible(u, exclude)) {
        this.#next = (index + 1) % n;
        return u;
      }
    }
    return undefined;
  }
}

/** The eligible upstream with the fewest in-flight requests; ties go round-robin. */
export class LeastLoad implements SelectionPolicy {
  readonly name = 'least-load';
  #start = 0;

  pick(candidates: readonly Upstream[], exclude?: ReadonlySet<Upstream>): Upstream | undefined {
    const n = candidates.length;
    if (n === 0) return undefined;
    // Scanning from a rotating offset with a strict `<` makes the first of equals rotate.
    const start = this.#start++ % n;
    let best: Upstream | undefined;
    for (let i = 0; i < n; i++) {
      const u = candidates[(start + i) % n];
      if (eligible(u, exclude) && (best === undefined || u.load < best.load)) best = u;
    }
    return best;
  }
}

/** A random number in [0, 1), like Math.random. */
export type Random = () => number;

/**
 * Power of two choices: two distinct random eligible upstreams, the less loaded wins
 * (the first drawn on a tie). Near least-load quality without its herd behaviour.
 */
export class PowerOfTwoChoices implements SelectionPolicy {
  readonly name = 'p2c';
  readonly #random: Random;

  constructor(random: Random = Math.random) {
    this.#random = random;
  }

  pick(candidates: readonly Upstream[], exclude?: ReadonlySet<Upstream>): Upstream | undefined {
    const pool = candidates.filter((u) => eligible(u, exclude));
    if (pool.length <= 1) return pool[0];
    const i = Math.floor(this.#random() * pool.length) % pool.length;
    // The second draw is over the others, so the two are always distinct.
    const j = (i + 1 + (Math.floor(this.#random() * (pool.length - 1)) % (pool.length - 1))) % pool.length;
    const a = pool[i];
    const b = pool[j];
    return b.load < a.load ? b : a;
  }
}

/** A fresh policy by its `--balance` name; throws naming the allowed values otherwise. */
export function createPolicy(name: string, options: { random?: Random } = {}): SelectionPolicy {
  switch (name) {
    case 'round-robin':
      return new RoundRobin();
    case 'least-load':
      return new LeastLoad();
    case 'p2c':
      return new PowerOfTwoChoices(options.random);
    default:
      throw new RangeError(`balance must be one of ${BALANCE_POLICIES.join(', ')}; got ${JSON.stringify(name)}`);
  }
}
