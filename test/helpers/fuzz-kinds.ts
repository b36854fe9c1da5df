/**
 * What the fuzz tests allow for each kind of input, instead of "any status": a mutated
 * request that came out unchanged gets exactly its seed's statuses; one cut short (a
 * prefix of its seed) gets the statuses of the requests it still holds whole, then at
 * most a 408; any other mutation gets only statuses the server gives a client's faults or
 * an ordinary answer - never a 5xx of its own failing (500, 502, 503, 504); random bytes
 * get exactly one refusal (400, or 408 while they still look like the start of a request).
 */
import assert from 'node:assert/strict';

export type InputKind = 'unchanged' | 'prefix' | 'changed';

export function kindOf(seed: Buffer, input: Buffer): InputKind {
  if (input.equals(seed)) return 'unchanged';
  if (input.length < seed.length && seed.subarray(0, input.length).equals(input)) return 'prefix';
  return 'changed';
}

/** Statuses for requests a mutation broke: the client's faults (4xx), 501/505, and answers of the routes themselves. */
export const CLIENT_FAULT_STATUSES: ReadonlySet<number> = new Set([400, 403, 404, 405, 408, 411, 413, 414, 416, 417, 431, 501, 505]);

/** Random bytes: one refusal, then the connection closes. */
export const RANDOM_BYTES_STATUSES: ReadonlySet<number> = new Set([400, 408]);

export function assertStatuses(
  kind: InputKind,
  got: readonly number[],
  seedStatuses: readonly number[],
  ordinary: ReadonlySet<number>,
): void {
  const label = `${kind} input answered ${JSON.stringify(got)} (seed: ${JSON.stringify(seedStatuses)})`;
  if (kind === 'unchanged') {
    assert.deepEqual(got, seedStatuses, label);
    return;
  }
  if (kind === 'prefix') {
    // The requests it holds whole are answered as in the seed; a cut one times out (408).
    const whole = got.at(-1) === 408 ? got.slice(0, -1) : got;
    assert.ok(whole.length <= seedStatuses.length, label);
    assert.deepEqual(whole, seedStatuses.slice(0, whole.length), label);
    return;
  }
  for (const s of got) assert.ok(CLIENT_FAULT_STATUSES.has(s) || ordinary.has(s), `${label}: ${s} is not allowed`);
}
