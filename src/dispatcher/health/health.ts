/**
 * Health: active (a GET /ping every interval) and passive (a connection failure seen by
 * the forwarder), kept apart and small, after Caddy. Both only update upstream state.
 */
import type { Upstream } from '../upstreams/upstream.js';
import type { UpstreamSet } from '../upstreams/upstream-set.js';
import { upstreamRequest } from '../proxy/upstream-request.js';
import { describeError } from '../proxy/retry.js';
import { NOOP_LOGGER, type EventLogger } from '../logger.js';

export interface HealthOptions {
  /** Time between probes of each upstream. @default 1000 */
  intervalMs?: number;
  /** A probe slower than this fails. @default 500 */
  timeoutMs?: number;
  /** Consecutive failed probes that mark an active upstream down. @default 2 */
  fails?: number;
  /** Consecutive passed probes that bring a down upstream back. @default 1 */
  passes?: number;
  /** @default '/ping' */
  path?: string;
  logger?: EventLogger;
}

export const HEALTH_DEFAULTS = Object.freeze({
  intervalMs: 1000,
  timeoutMs: 500,
  fails: 2,
  passes: 1,
  path: '/ping',
} satisfies Omit<Required<HealthOptions>, 'logger'>);

/**
 * Passive health: the forwarder saw a connection failure (refused, unreachable, connect
 * timeout), so the upstream is marked down at once; active checks bring it back.
 */
export function markConnectFailure(upstream: Upstream, err: unknown): void {
  upstream.markDown(`connect failed: ${describeError(err)}`);
}

/**
 * Applies one probe result to the upstream's streaks and, past a threshold, its state.
 * `unanswered`: no answer came at all (timeout, reset, refused) - unlike a worker that
 * answers its probe with an error status, it is not working on what it was sent either, so
 * when the failures reach the threshold its in-flight requests are cut and retried
 * elsewhere at once.
 */
export function recordProbe(
  upstream: Upstream,
  result: { ok: true; load?: number } | { ok: false; reason: string; unanswered?: boolean },
  thresholds: { fails: number; passes: number },
  now: Date = new Date(),
): void {
  // The very first probe decides on its own: a new upstream should not wait `passes` rounds.
  const first = upstream.lastCheck === null;
  upstream.lastCheck = now;
  if (result.ok) {
    upstream.consecutivePasses++;
    upstream.consecutiveFailures = 0;
    if (result.load !== undefined) upstream.reportedLoad = result.load;
    if (first || upstream.consecutivePasses >= thresholds.passes) upstream.markUp();
  } else {
    upstream.consecutiveFailures++;
    upstream.consecutivePasses = 0;
    upstream.lastError = result.reason;
    if (first || upstream.consecutiveFailures >= thresholds.fails) {
      upstream.markDown(result.reason);
      // Once per streak, even when a failed connect marked it down first: requests sent
      // before that are still waiting on its established connections.
      if (result.unanswered === true && upstream.consecutiveFailures === thresholds.fails) upstream.cutConnections();
    }
  }
}

export class HealthChecker {
  readonly #set: UpstreamSet;
  readonly #opts: Omit<Required<HealthOptions>, 'logger'>;
  readonly #log: EventLogger;
  readonly #inFlight = new Map<Upstream, Promise<boolean>>();
  #timer: NodeJS.Timeout | undefined;
  readonly #onAdded = (u: Upstream): void => void this.check(u);
  readonly #onUp = (u: Upstream): void => this.#log.info({ event: 'upstream_up', worker: u.id, address: u.address }, 'worker up');
  readonly #onDown = (u: Upstream): void =>
    this.#log.warn({ event: 'upstream_down', worker: u.id, address: u.address, reason: u.lastError }, 'worker down');

  constructor(set: UpstreamSet, options: HealthOptions = {}) {
    this.#set = set;
    const { logger, ...rest } = options;
    this.#opts = { ...HEALTH_DEFAULTS, ...stripUndefined(rest) };
    this.#log = logger ?? NOOP_LOGGER;
  }

  /** Probes every upstream now and then every interval; new upstreams are probed on arrival. */
  start(): void {
    if (this.#timer) return;
    this.#set.on('added', this.#onAdded).on('up', this.#onUp).on('down', this.#onDown);
    this.#timer = setInterval(() => void this.checkAll(), this.#opts.intervalMs);
    this.#timer.unref();
    void this.checkAll();
  }

  stop(): void {
    if (!this.#timer) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#set.off('added', this.#onAdded).off('up', this.#onUp).off('down', this.#onDown);
  }

  /** Probes every non-draining upstream (at most one probe per upstream in flight). */
  async checkAll(): Promise<void> {
    await Promise.all(
      this.#set
        .list()
        .filter((u) => !u.draining)
        .map((u) => this.check(u)),
    );
  }

  /** Probes one upstream and records the verdict; resolves to whether it passed. */
  check(upstream: Upstream): Promise<boolean> {
    let probe = this.#inFlight.get(upstream);
    if (!probe) {
      probe = this.#probe(upstream).finally(() => this.#inFlight.delete(upstream));
      this.#inFlight.set(upstream, probe);
    }
    return probe;
  }

  async #probe(upstream: Upstream): Promise<boolean> {
    const { timeoutMs, path } = this.#opts;
    let result: Parameters<typeof recordProbe>[1];
    const t0 = performance.now();
    try {
      const res = await upstreamRequest(upstream, {
        method: 'GET',
        path,
        headers: { 'user-agent': 'dhttp-health' },
        // Covers connect, head and body: the pool's connect timeout is longer.
        signal: AbortSignal.timeout(timeoutMs),
        timeoutMs,
        via: 'probe',
      });
      if (res.statusCode >= 200 && res.statusCode < 300) {
        const body: unknown = await res.body.json().catch(() => undefined);
        const load = (body as { load?: unknown } | undefined)?.load;
        result = { ok: true, load: typeof load === 'number' && Number.isFinite(load) ? load : undefined };
        upstream.probed(performance.now() - t0);
      } else {
        await res.body.dump().catch(() => {});
        result = { ok: false, reason: `${path} answered ${res.statusCode}` };
      }
    } catch (err) {
      result = { ok: false, reason: `${path} failed: ${describeError(err)}`, unanswered: true };
    }
    // A probe that outlived the upstream's removal must not resurrect stale state.
    if (this.#set.get(upstream.address) !== upstream) return result.ok;
    recordProbe(upstream, result, this.#opts);
    return result.ok;
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
