/**
 * Stable identities across restarts. A worker that comes back (a restarted child of
 * `dhttp start`, a re-registration) is a new Upstream with the same ID; this keeps the
 * last life of each removed ID and hands it to the next one (Upstream.continueFrom), so
 * per-worker counters, restarts and down time go on under the same `id` label instead of
 * starting new series.
 *
 * A known ID that comes back from a new address is a restart. One that comes back at the
 * same address is a restart only if its /ping reports a new start time (health.ts).
 * Discovered workers are named by address, so a discovered worker that moves to another
 * address is another worker.
 *
 * A life removed while serving (not draining: a crashed child, a replaced registration)
 * is listed by /workers and /metrics as down until its ID returns; one removed after
 * draining (deregistered, gone from DNS) left on purpose and is only remembered.
 */
import type { Upstream } from '../upstreams/upstream.js';
import type { UpstreamSet } from '../upstreams/upstream-set.js';

/** Past lives remembered when nothing else bounds them. @default 1024 */
export const LINEAGE_DEFAULT_CAPACITY = 1024;

interface PastLife {
  readonly life: Upstream;
  /** Removed while serving: still listed, as down, until the ID returns. */
  readonly listed: boolean;
}

export class UpstreamLineage {
  readonly #set: UpstreamSet;
  readonly #capacity: number;
  /** ID → its last removed life, oldest first (Map order), at most `capacity`. */
  readonly #past = new Map<string, PastLife>();
  readonly #onRemoved = (u: Upstream): void => this.#remember(u);
  readonly #onAdded = (u: Upstream): void => this.#resume(u);

  constructor(set: UpstreamSet, capacity = LINEAGE_DEFAULT_CAPACITY) {
    this.#set = set;
    this.#capacity = Math.max(1, capacity);
    set.on('removed', this.#onRemoved).on('added', this.#onAdded);
  }

  /** Lives removed while serving whose ID has not come back: shown as down. */
  gone(): Upstream[] {
    const out: Upstream[] = [];
    for (const p of this.#past.values()) if (p.listed) out.push(p.life);
    return out;
  }

  /** The live upstreams, then the gone ones: what /workers and /metrics list. */
  listed(): Upstream[] {
    return [...this.#set.list(), ...this.gone()];
  }

  /** The address of the remembered past life of `id`, if any. */
  pastAddress(id: string): string | undefined {
    return this.#past.get(id)?.life.address;
  }

  /** Every ID live or remembered: the IDs whose per-worker totals are worth keeping. */
  knownIds(): Set<string> {
    const ids = new Set(this.#past.keys());
    for (const u of this.#set.list()) ids.add(u.id);
    return ids;
  }

  /** Stops listening to the set. */
  close(): void {
    this.#set.off('removed', this.#onRemoved).off('added', this.#onAdded);
  }

  #remember(u: Upstream): void {
    // Another life of this ID is already live (a registration that replaced it): nothing to carry.
    if (this.#set.getById(u.id) !== undefined) return;
    const listed = !u.draining;
    if (listed) u.gone(u.lastError ?? 'removed while serving');
    this.#past.delete(u.id);
    this.#past.set(u.id, { life: u, listed });
    if (this.#past.size > this.#capacity) {
      const oldest = this.#past.keys().next().value as string;
      this.#past.delete(oldest);
    }
  }

  #resume(u: Upstream): void {
    const past = this.#past.get(u.id);
    if (past === undefined) return;
    this.#past.delete(u.id);
    u.continueFrom(past.life);
    if (past.life.address !== u.address) {
      u.restarts++;
      // This restart is counted: the new process's start time is learnt, not compared.
      u.reportedStart = null;
    }
  }
}
