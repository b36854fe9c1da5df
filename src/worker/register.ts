/**
 * Self-registration with a dispatcher (SPEC §1 `--register`): POST /workers/register now
 * and every `intervalMs`, so a dispatcher that restarts learns this worker again within
 * one interval; POST /workers/deregister on shutdown. Failures never stop the worker:
 * the first one of a run is logged at warn, repeats at debug.
 */
import type { Logger } from '../common/logger.js';

export interface RegistrationOptions {
  /** Dispatcher base URL. */
  dispatcher: string;
  /** URL the dispatcher should use to reach this worker. */
  address: string;
  id: string;
  intervalMs: number;
  logger: Logger;
  /** Per-request timeout. @default 1000 */
  timeoutMs?: number;
  /** The cluster token, sent as `Authorization: Bearer <token>`. @default none (the dispatcher will refuse) */
  token?: string;
}

export class Registration {
  readonly #o: Required<Omit<RegistrationOptions, 'token'>>;
  readonly #headers: Record<string, string>;
  readonly #base: string;
  #timer: NodeJS.Timeout | undefined;
  #failing = false;
  #stopped = false;

  constructor(options: RegistrationOptions) {
    this.#o = { timeoutMs: 1000, ...options };
    this.#headers = { 'content-type': 'application/json' };
    if (options.token !== undefined) this.#headers.authorization = `Bearer ${options.token}`;
    this.#base = options.dispatcher.replace(/\/+$/, '');
  }

  start(): void {
    void this.#tick();
  }

  /** Stops announcing and deregisters, best effort, within the request timeout. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    await this.#post('/workers/deregister').catch(() => undefined);
  }

  async #tick(): Promise<void> {
    try {
      await this.#post('/workers/register');
      if (this.#failing || this.#timer === undefined)
        this.#o.logger.info({ dispatcher: this.#base, address: this.#o.address }, 'registered');
      this.#failing = false;
    } catch (err) {
      const fields = { dispatcher: this.#base, err: (err as Error).message };
      if (this.#failing) this.#o.logger.debug(fields, 'registration failed');
      else this.#o.logger.warn(fields, 'registration failed; retrying every interval');
      this.#failing = true;
    }
    if (this.#stopped) return;
    this.#timer = setTimeout(() => void this.#tick(), this.#o.intervalMs);
    // Registration alone must never keep the process alive.
    this.#timer.unref();
  }

  async #post(path: string): Promise<void> {
    const res = await fetch(`${this.#base}${path}`, {
      method: 'POST',
      headers: this.#headers,
      body: JSON.stringify({ address: this.#o.address, id: this.#o.id }),
      signal: AbortSignal.timeout(this.#o.timeoutMs),
    });
    await res.arrayBuffer().catch(() => undefined);
    if (!res.ok) throw new Error(`${path} answered ${res.status}`);
  }
}
