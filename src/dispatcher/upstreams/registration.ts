/**
 * Worker self-registration (`POST /workers/register`, `/workers/deregister`), as pure
 * functions of the set and the request body; the route only reads the body and answers.
 */
import { httpError } from '../../common/errors.js';
import type { UpstreamJSON } from './upstream.js';
import { parseUpstreamAddress } from '../../config/addresses.js';
import type { UpstreamSet } from './upstream-set.js';

/** `{"address":"http://host:port"}` (parsed JSON, or its raw text) → the normalised origin. */
export function parseRegistration(body: unknown): string {
  let value = body;
  if (typeof value === 'string' || value instanceof Uint8Array) {
    const text = typeof value === 'string' ? value : Buffer.from(value).toString('utf8');
    try {
      value = JSON.parse(text);
    } catch {
      throw httpError('INVALID_BODY', 'body must be JSON like {"address":"http://host:port"}');
    }
  }
  const address = (value as { address?: unknown } | null)?.address;
  if (typeof value !== 'object' || value === null || typeof address !== 'string') {
    throw httpError('INVALID_BODY', 'body must be JSON like {"address":"http://host:port"}');
  }
  if (address.length > 2048) throw httpError('INVALID_BODY', 'address must be at most 2048 characters');
  try {
    return parseUpstreamAddress(address);
  } catch (err) {
    throw httpError('INVALID_BODY', (err as Error).message);
  }
}

/** Adds the worker (idempotent: a known address keeps its ID and state). */
export function handleRegister(set: UpstreamSet, body: unknown): { status: 200 | 201; body: { created: boolean; worker: UpstreamJSON } } {
  const address = parseRegistration(body);
  const created = set.get(address) === undefined;
  const upstream = set.add(address);
  return { status: created ? 201 : 200, body: { created, worker: upstream.toJSON() } };
}

/** Drains the worker (no new requests; removed once idle). Unknown addresses are fine. */
export function handleDeregister(set: UpstreamSet, body: unknown): { status: 200; body: { removed: boolean; address: string } } {
  const address = parseRegistration(body);
  return { status: 200, body: { removed: set.drain(address), address } };
}
