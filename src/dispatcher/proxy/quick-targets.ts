/**
 * Which request targets the workers answer quickly, learnt from the fast path's own
 * exchanges. Only those are pipelined (RawPool.pass): a request written behind another on
 * one connection waits for it, so a slow one (a /sleep, a large file, a compute task) must
 * never be ahead of others - it is sent on a connection of its own, as is any target not
 * yet seen often enough to judge.
 *
 * Quick: answered at least MIN_SAMPLES times, and its duration (an EWMA, from the request
 * to the end of its response) within FACTOR times what a health probe of the worker takes
 * now (Upstream.probeMs: a trivial request's wait there), but at least FLOOR_MS and at most
 * CAP_MS. Relative, because under load every duration includes the time the request waited
 * for the worker - a wait that pipelining does not lengthen, since a worker runs its
 * synchronous handlers one after another anyway; an absolute limit alone would stop
 * pipelining exactly when load makes it most useful. The probe, not the traffic, is the
 * reference: slow requests in the mix must not make each other look quick.
 *
 * Keyed by method and the whole target (path and query: `/sleep?seconds=5` and
 * `/sleep?seconds=0` are different requests); bounded, the oldest key going first, and
 * targets longer than MAX_TARGET_LENGTH are not kept.
 */

/** Answers seen before a target can be judged. */
export const MIN_SAMPLES = 3;
/** Within this, a target is quick whatever the others take. */
export const FLOOR_MS = 2;
/** Beyond this, a target is never quick. */
export const CAP_MS = 100;
/** How many times the window's fastest exchange a quick target may take. */
export const FACTOR = 4;
/** Targets remembered per method. */
export const MAX_TARGETS = 1024;
/** Longer targets are never remembered (so never quick): bounds the table's memory. */
export const MAX_TARGET_LENGTH = 512;
/** Weight of the newest sample in a target's EWMA. */
const ALPHA = 0.25;

interface Stats {
  n: number;
  ms: number;
}

export class QuickTargets {
  readonly #byMethod = new Map<string, Map<string, Stats>>();
  readonly #max: number;

  constructor(maxTargets = MAX_TARGETS) {
    this.#max = maxTargets;
  }

  /** The longest duration a quick target may have at a worker whose probes take `probeMs` (0: unknown). */
  static limitMs(probeMs: number): number {
    return Math.max(FLOOR_MS, Math.min(CAP_MS, FACTOR * probeMs));
  }

  isQuick(method: string, target: string, probeMs: number): boolean {
    const s = this.#byMethod.get(method)?.get(target);
    return s !== undefined && s.n >= MIN_SAMPLES && s.ms <= QuickTargets.limitMs(probeMs);
  }

  /** An exchange for `target` completed in `ms`. */
  record(method: string, target: string, ms: number): void {
    if (target.length > MAX_TARGET_LENGTH) return;
    let targets = this.#byMethod.get(method);
    if (targets === undefined) {
      targets = new Map();
      this.#byMethod.set(method, targets);
    }
    const s = targets.get(target);
    if (s !== undefined) {
      s.ms += ALPHA * (ms - s.ms);
      if (s.n < MIN_SAMPLES) s.n++;
      return;
    }
    if (targets.size >= this.#max) targets.delete(targets.keys().next().value as string);
    targets.set(target, { n: 1, ms });
  }
}
