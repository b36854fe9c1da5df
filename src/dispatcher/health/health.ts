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

/** Largest /ping answer read: it is a line of JSON. */
const MAX_PROBE_BYTES = 64 * 1024;

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

/** What a worker's /ping may say beyond "ok" (SPEC §3; dhttp workers send all of it). */
export interface PingReport {
  /** Requests in flight. */
  load?: number;
  /** Cores busy over the last second or so (1 = one core). */
  cpu?: number;
  /** Resident memory, bytes. */
  rss?: number;
  /** Process start time, unix ms: a new value at the same address is a restart. */
  started?: number;
}

/** Bounds of the reported numbers: anything else is ignored (the answer is untrusted). */
const MAX_LOAD = 1e9;
const MAX_CPU = 65_536;
const MAX_RSS = 2 ** 50;
const MAX_TIME = 2 ** 50;

/** The fields of a /ping body that are numbers within their bounds; the rest is ignored. */
export function pingReport(body: unknown): PingReport {
  if (typeof body !== 'object' || body === null) return {};
  const b = body as Record<string, unknown>;
  const num = (v: unknown, max: number): number | undefined =>
    typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= max ? v : undefined;
  const report: PingReport = {};
  const load = typeof b.load === 'number' && Number.isFinite(b.load) && Math.abs(b.load) <= MAX_LOAD ? b.load : undefined;
  if (load !== undefined) report.load = load;
  const cpu = num(b.cpu, MAX_CPU);
  if (cpu !== undefined) report.cpu = cpu;
  const rss = num(b.rss, MAX_RSS);
  if (rss !== undefined) report.rss = rss;
  const started = num(b.started, MAX_TIME);
  if (started !== undefined) report.started = started;
  return report;
}

/**
 * Applies one probe result to the upstream's streaks and, past a threshold, its state.
 * Returns true when the answer shows a new process at the same address (a restart).
 * `unanswered`: no answer came at all (timeout, reset, refused) - unlike a worker that
 * answers its probe with an error status, it is not working on what it was sent either, so
 * when the failures reach the threshold its in-flight requests are cut and retried
 * elsewhere at once.
 */
export function recordProbe(
  upstream: Upstream,
  result: ({ ok: true } & PingReport) | { ok: false; reason: string; unanswered?: boolean },
  thresholds: { fails: number; passes: number },
  now: Date = new Date(),
): boolean {
  // The very first probe decides on its own: a new upstream should not wait `passes` rounds.
  const first = upstream.lastCheck === null;
  upstream.lastCheck = now;
  let restarted = false;
  if (result.ok) {
    upstream.consecutivePasses++;
    upstream.consecutiveFailures = 0;
    if (result.load !== undefined) upstream.reportedLoad = result.load;
    if (result.cpu !== undefined) upstream.reportedCpu = result.cpu;
    if (result.rss !== undefined) upstream.reportedRss = result.rss;
    if (result.started !== undefined) {
      restarted = upstream.reportedStart !== null && upstream.reportedStart !== result.started;
      if (restarted) upstream.restarts++;
      upstream.reportedStart = result.started;
    }
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
  return restarted;
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
        maxBytes: MAX_PROBE_BYTES,
        // Covers connect, head and body: the pool's connect timeout is longer.
        signal: AbortSignal.timeout(timeoutMs),
        timeoutMs,
        via: 'probe',
      });
      if (res.statusCode >= 200 && res.statusCode < 300) {
        const body: unknown = await res.body.json().catch(() => undefined);
        result = { ok: true, ...pingReport(body) };
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
    const ms = Math.round((performance.now() - t0) * 100) / 100;
    this.#log.debug?.(
      result.ok
        ? { event: 'health_check', worker: upstream.id, ok: true, ms, load: result.load }
        : { event: 'health_check', worker: upstream.id, ok: false, ms, reason: result.reason },
      'health check',
    );
    if (recordProbe(upstream, result, this.#opts)) {
      this.#log.info(
        { event: 'upstream_restarted', worker: upstream.id, address: upstream.address, restarts: upstream.restarts },
        'worker restarted (new process start time on /ping)',
      );
    }
    return result.ok;
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
