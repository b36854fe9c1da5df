/** X-Request-Id: keep a sane client id (SPEC §2), else mint a cheap unique one. */
import { randomBytes } from 'node:crypto';

const VALID_ID = /^[A-Za-z0-9._:-]{1,128}$/;
// A per-process random prefix plus a counter: unique across processes, one string concat per request.
const prefix = randomBytes(6).toString('base64url');
const idStart = `${prefix}-`;
let counter = 0;

export function requestIdFor(clientId: string | undefined): string {
  if (clientId !== undefined && VALID_ID.test(clientId)) return clientId;
  counter = (counter + 1) % Number.MAX_SAFE_INTEGER;
  return idStart + counter.toString(36);
}
