/**
 * Worker self-registration (`POST /workers/register`, `/workers/deregister`) as rules over
 * the set; the route checks the cluster token, reads the body and answers. A registration
 * only ever adds, changes or removes upstreams that registrations added: a fixed,
 * discovered or embedded worker keeps its address and ID, and cannot be deregistered. It
 * never adds the dispatcher itself, nor more than --max-registered workers.
 */
import { httpError } from '../../common/errors.js';
import { parseUpstreamAddress } from '../../config/addresses.js';
import type { Upstream, UpstreamJSON } from './upstream.js';
import type { UpstreamSet } from './upstream-set.js';

/** How long a registration refused for a full set should wait before trying again. */
const FULL_RETRY_AFTER_SECONDS = 30;

const WORKER_ID = /^[A-Za-z0-9._:-]{1,64}$/;

const BODY_SHAPE = 'body must be JSON like {"address":"http://host:port"}';

/** `{"address":"http://host:port"}` (parsed JSON, or its raw text) → the normalised origin. */
export function parseRegistration(body: unknown): string {
  let value = body;
  if (typeof value === 'string' || value instanceof Uint8Array) {
    const text = typeof value === 'string' ? value : Buffer.from(value).toString('utf8');
    try {
      value = JSON.parse(text);
    } catch {
      throw httpError('INVALID_BODY', BODY_SHAPE);
    }
  }
  const address = (value as { address?: unknown } | null)?.address;
  if (typeof value !== 'object' || value === null || typeof address !== 'string') throw httpError('INVALID_BODY', BODY_SHAPE);
  if (address.length > 2048) throw httpError('INVALID_BODY', 'address must be at most 2048 characters');
  try {
    return parseUpstreamAddress(address);
  } catch (err) {
    throw httpError('INVALID_BODY', (err as Error).message);
  }
}

/** The `id` of a registration body, if any; throws on a malformed one. */
function parseId(body: unknown): string | undefined {
  const given = (body as { id?: unknown } | null)?.id;
  if (given === undefined) return undefined;
  if (typeof given !== 'string' || !WORKER_ID.test(given)) throw httpError('INVALID_BODY', 'id must be 1-64 characters of [A-Za-z0-9._:-]');
  return given;
}

function notRegistered(upstream: Upstream, doing: string): never {
  throw httpError(
    'NOT_REGISTERED',
    `${upstream.address} is ${upstream.source} worker ${upstream.id}, not a registered one: a registration cannot ${doing} it`,
  );
}

export interface RegistrarOptions {
  /** Registered upstreams at most (--max-registered). */
  maxRegistered: number;
  /** Whether an origin is this dispatcher's own address (own-address.ts). @default never */
  isOwnAddress?: (origin: string) => Promise<boolean>;
  /** The address a removed worker of this ID last had, if remembered (to tell a restart). @default none */
  pastAddress?: (id: string) => string | undefined;
}

export class Registrar {
  readonly #set: UpstreamSet;
  readonly #max: number;
  readonly #isOwn: (origin: string) => Promise<boolean>;
  readonly #pastAddress: (id: string) => string | undefined;

  constructor(set: UpstreamSet, options: RegistrarOptions) {
    this.#set = set;
    this.#max = options.maxRegistered;
    this.#isOwn = options.isOwnAddress ?? (() => Promise.resolve(false));
    this.#pastAddress = options.pastAddress ?? (() => undefined);
  }

  /**
   * Adds the worker, idempotently (a known registered address keeps its ID and state).
   * An `id` in the body is kept, so a worker restarted on a new port keeps its ID: an
   * inactive registered upstream holding that ID is taken to be its previous life and
   * removed. An active one, or any upstream that was not registered, keeps it, and the
   * newcomer gets a fresh ID instead. `restarted`: a known ID came back from a new address.
   */
  async register(body: unknown): Promise<{ created: boolean; restarted: boolean; worker: UpstreamJSON }> {
    const address = parseRegistration(body);
    let id = parseId(body);
    const known = this.#known(address);
    if (known !== undefined) return known;
    if (await this.#isOwn(address)) {
      throw httpError('OWN_ADDRESS', `${address} is this dispatcher's own address; forwarding there would loop`);
    }
    // The lookup above may have let another registration of the same address in.
    const raced = this.#known(address);
    if (raced !== undefined) return raced;
    if (this.#set.countBySource('registered') >= this.#max) {
      throw httpError('REGISTRY_FULL', `${this.#max} workers are registered already (--max-registered)`, {
        'Retry-After': String(FULL_RETRY_AFTER_SECONDS),
      });
    }
    let previous: string | undefined;
    if (id !== undefined) {
      const holder = this.#set.getById(id);
      if (holder === undefined) {
        if (this.#set.isOperatorId(id)) id = undefined;
        else previous = this.#pastAddress(id);
      } else if (holder.source !== 'registered' || holder.active) id = undefined;
      else {
        previous = holder.address;
        this.#set.remove(holder.address, true);
      }
    }
    const upstream = this.#set.add(address, { source: 'registered', ...(id === undefined ? {} : { id }) });
    return { created: true, restarted: previous !== undefined && previous !== address, worker: upstream.toJSON() };
  }

  /** Drains a registered worker (no new requests; removed once idle). Unknown addresses are fine. */
  deregister(body: unknown): { removed: boolean; address: string } {
    const address = parseRegistration(body);
    const upstream = this.#set.get(address);
    if (upstream === undefined) return { removed: false, address };
    if (upstream.source !== 'registered') notRegistered(upstream, 'remove');
    return { removed: this.#set.drain(address), address };
  }

  /** The answer for an address already in the set; throws when it is not a registered one. */
  #known(address: string): { created: false; restarted: false; worker: UpstreamJSON } | undefined {
    const existing = this.#set.get(address);
    if (existing === undefined) return undefined;
    if (existing.source !== 'registered') notRegistered(existing, 'take over');
    // A registered worker announcing itself again also ends a deregistration's draining.
    return { created: false, restarted: false, worker: this.#set.add(address, { source: 'registered' }).toJSON() };
  }
}
