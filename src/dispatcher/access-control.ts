/**
 * Who may change the worker set (SPEC §6): `POST /workers/register` and
 * `/workers/deregister` need `Authorization: Bearer <cluster token>`. Without a configured
 * token nobody may (403); a missing or wrong one gets 401 with `WWW-Authenticate: Bearer`.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { httpError } from '../common/errors.js';

const CHALLENGE = { 'WWW-Authenticate': 'Bearer realm="dhttp"' };

/** `Bearer <token>`, the scheme case-insensitive (RFC 9110 §11.1), one or more spaces. */
const BEARER = /^bearer +(\S+) *$/i;

/**
 * Compares digests, never the tokens: both sides are 32 bytes whatever was sent, so
 * neither the comparison's time nor its early exit on a length mismatch tells anything
 * about the token's length or its first differing byte.
 */
function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

export class ClusterToken {
  readonly #digest: Buffer | undefined;

  /** `token`: --cluster-token; undefined refuses every registration. */
  constructor(token: string | undefined) {
    this.#digest = token === undefined ? undefined : digest(token);
  }

  /** Throws the HttpError (403 or 401) that refuses a request with this Authorization field. */
  verify(authorization: string | undefined): void {
    if (this.#digest === undefined) {
      throw httpError('REGISTRATION_DISABLED', 'this dispatcher has no --cluster-token, so it accepts no registration');
    }
    const presented = authorization === undefined ? undefined : BEARER.exec(authorization)?.[1];
    if (presented === undefined) {
      throw httpError('UNAUTHORIZED', 'registration needs Authorization: Bearer <cluster token>', CHALLENGE);
    }
    if (!timingSafeEqual(digest(presented), this.#digest)) {
      throw httpError('UNAUTHORIZED', 'the cluster token is wrong', { 'WWW-Authenticate': 'Bearer realm="dhttp", error="invalid_token"' });
    }
  }
}
