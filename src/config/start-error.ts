/**
 * A server that cannot start where it was told to: the address is taken, a low port needs
 * privileges, the host is not one of this machine's or does not resolve. One line that
 * names the role and the address; main.ts prints it without a stack and exits 1.
 */
import { formatHostPort } from './values.js';

export class StartError extends Error {
  readonly code = 'ERR_DHTTP_START';

  constructor(message: string, cause: unknown) {
    super(message, { cause });
    this.name = 'StartError';
  }
}

/** Why, in words, by errno code; codes not listed keep their own error. */
const REASONS: Readonly<Record<string, string>> = Object.freeze({
  EADDRINUSE: 'the address is already in use by another process',
  EACCES: 'permission denied (ports below 1024 need privileges)',
  EPERM: 'permission denied',
  EADDRNOTAVAIL: 'the address does not belong to this machine',
  EAFNOSUPPORT: 'this machine does not support that address family',
  ENOTFOUND: 'the host name does not resolve',
  EAI_AGAIN: 'the host name could not be resolved (temporary DNS failure)',
  EAI_FAIL: 'the host name could not be resolved',
  EAI_NONAME: 'the host name does not resolve',
});

/**
 * A listen() failure of `role` on host:port as a StartError, or the error itself when it
 * is not one of the start failures above (a bug keeps its stack).
 */
export function listenFailure(err: unknown, role: string, host: string, port: number): unknown {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const reason = code === undefined ? undefined : REASONS[code];
  if (reason === undefined) return err;
  return new StartError(`${role} cannot listen on ${formatHostPort({ host, port })}: ${reason} (${code})`, err);
}
