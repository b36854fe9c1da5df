/**
 * Self-registration with dispatchers (SPEC §1 `--register`): POST /workers/register to each
 * dispatcher now and every `intervalMs`, so a dispatcher that restarts learns this worker
 * again within one interval; POST /workers/deregister on shutdown. With several
 * dispatchers (two replicas behind one Service) each is announced to on its own: one that
 * is down or slow delays none of the others. Failures never stop the worker: the first
 * one of a run is logged at warn, repeats at debug, per dispatcher.
 */
import type { Logger } from '../common/logger.js';

export interface RegistrationOptions {
  /** Dispatcher base URLs; duplicates are announced to once. */
  dispatchers: readonly string[];
  /** URL the dispatchers should use to reach this worker. */
  address: string;
  id: string;
  intervalMs: number;
  logger: Logger;
  /** Per-request timeout. @default 1000 */
  timeoutMs?: number;
  /** The cluster token, sent as `Authorization: Bearer` (SPEC §6). @default none */
  token?: string;
}

interface Announcer {
  readonly base: string;
  timer: NodeJS.Timeout | undefined;
  failing: boolean;
  registered: boolean;
}

export class Registration {
  readonly #o: Required<Omit<RegistrationOptions, 'token'>>;
  readonly #headers: Record<string, string>;
  readonly #announcers: readonly Announcer[];
  #stopped = false;

  constructor(options: RegistrationOptions) {
    const { token, ...rest } = options;
    this.#o = { timeoutMs: 1000, ...rest };
    this.#headers = { 'content-type': 'application/json' };
    if (token !== undefined) this.#headers.authorization = `Bearer ${token}`;
    const bases = new Set(options.dispatchers.map((d) => d.replace(/\/+$/, '')));
    this.#announcers = [...bases].map((base) => ({ base, timer: undefined, failing: false, registered: false }));
  }

  start(): void {
    for (const a of this.#announcers) void this.#tick(a);
  }

  /** Stops announcing and deregisters from every dispatcher at once, best effort, within the request timeout. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const a of this.#announcers) if (a.timer !== undefined) clearTimeout(a.timer);
    await Promise.all(this.#announcers.map((a) => this.#post(a, '/workers/deregister').catch(() => undefined)));
  }

  async #tick(a: Announcer): Promise<void> {
    try {
      await this.#post(a, '/workers/register');
      if (a.failing || !a.registered) this.#o.logger.info({ dispatcher: a.base, address: this.#o.address }, 'registered');
      a.failing = false;
      a.registered = true;
    } catch (err) {
      const fields = { dispatcher: a.base, err: (err as Error).message };
      if (a.failing) this.#o.logger.debug(fields, 'registration failed');
      else this.#o.logger.warn(fields, 'registration failed; retrying every interval');
      a.failing = true;
    }
    if (this.#stopped) return;
    a.timer = setTimeout(() => void this.#tick(a), this.#o.intervalMs);
    // Registration alone must never keep the process alive.
    a.timer.unref();
  }

  async #post(a: Announcer, path: string): Promise<void> {
    const res = await fetch(`${a.base}${path}`, {
      method: 'POST',
      headers: this.#headers,
      body: JSON.stringify({ address: this.#o.address, id: this.#o.id }),
      signal: AbortSignal.timeout(this.#o.timeoutMs),
    });
    // The answer is a line of JSON: read no more than that, whatever the peer sends.
    await drainBounded(res, MAX_ANSWER_BYTES).catch(() => undefined);
    if (!res.ok) throw new Error(`${path} answered ${res.status}`);
  }
}

/** Largest registration answer read. */
const MAX_ANSWER_BYTES = 64 * 1024;

/** Reads and drops `res`'s body, cancelling it past `max` bytes. */
async function drainBounded(res: Response, max: number): Promise<void> {
  const reader = res.body?.getReader();
  if (reader === undefined) return;
  let seen = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    seen += value.byteLength;
    if (seen > max) {
      await reader.cancel();
      return;
    }
  }
}
