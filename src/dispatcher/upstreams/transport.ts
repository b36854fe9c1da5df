/**
 * How the dispatcher reaches one upstream: a keep-alive pool for forwarded traffic and
 * jobs, and a separate single connection for health probes, so a pool saturated by slow
 * requests does not make a busy worker look dead. Apart from the upstream's state
 * (upstream.ts), which selection policies read and which knows nothing of sockets.
 */
import { clientError } from '../../client/errors.js';
import { Pool, type PoolOptions } from '../../client/pool.js';

export class UpstreamTransport {
  readonly #origin: string;
  readonly #options: PoolOptions;
  #pool: Pool | undefined;
  #probe: Pool | undefined;
  #closed = false;

  /** `origin` gives requests their Host field; `options.socketPath` routes them to a Unix socket instead. */
  constructor(origin: string, options: PoolOptions) {
    this.#origin = origin;
    this.#options = options;
  }

  /** The keep-alive pool for forwarded traffic and job chunks (created on first use). */
  get pool(): Pool {
    this.#assertOpen();
    this.#pool ??= new Pool(this.#origin, this.#options);
    return this.#pool;
  }

  /** The single health-probe connection (created on first use). */
  get probe(): Pool {
    this.#assertOpen();
    this.#probe ??= new Pool(this.#origin, { ...this.#options, connections: 1, pipelining: 1 });
    return this.#probe;
  }

  /**
   * Fails what is in flight on the pools (a CUT error, which spends no retry: the requests
   * did nothing to the worker) and drops them; the next use opens new ones.
   */
  cut(reason: string): void {
    const pools = [this.#pool, this.#probe].filter((p) => p !== undefined);
    this.#pool = undefined;
    this.#probe = undefined;
    const err = clientError('CUT', reason);
    for (const p of pools) void p.destroy(err);
  }

  /** Closes the connections: gracefully (in-flight requests finish) or at once. */
  async close(force = false): Promise<void> {
    this.#closed = true;
    const pools = [this.#pool, this.#probe].filter((p) => p !== undefined);
    this.#pool = undefined;
    this.#probe = undefined;
    await Promise.all(pools.map((p) => (force ? p.destroy() : p.close())));
  }

  /** A removed upstream opens no new connections (a re-added address gets a new transport). */
  #assertOpen(): void {
    if (this.#closed) throw Object.assign(new Error('the worker was removed'), { code: 'CLOSED' });
  }
}
