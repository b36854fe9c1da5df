/**
 * The Unix-domain listener's path rules: what may be bound, what a dead predecessor left
 * behind and may be replaced, and removing only our own socket file.
 */
import { existsSync, lstatSync, unlinkSync, type Stats } from 'node:fs';
import net from 'node:net';
import { dirname, isAbsolute } from 'node:path';
import { MAX_SOCKET_PATH_BYTES } from '../config/addresses.js';

/** listenPath() could not use the path; `message` is one line naming it. */
export class SocketPathError extends Error {
  readonly code = 'ERR_DHTTP_SOCKET_PATH';
  readonly path: string;
  /** Why, without the path (for callers that name the option themselves). */
  readonly reason: string;

  constructor(path: string, reason: string, cause?: unknown) {
    super(`cannot listen on Unix socket ${JSON.stringify(path)}: ${reason}`, cause === undefined ? undefined : { cause });
    this.name = 'SocketPathError';
    this.path = path;
    this.reason = reason;
  }
}

/** "ENOENT: its directory does not exist" rather than a bare code. */
export function errnoText(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return 'ENOENT: its directory does not exist';
    case 'ENOTDIR':
      return 'ENOTDIR: a parent is not a directory';
    case 'EACCES':
    case 'EPERM':
      return `${code}: permission denied`;
    case undefined:
      return err instanceof Error ? err.message : String(err);
    default:
      return code;
  }
}

export function checkSocketPath(path: string): void {
  if (!isAbsolute(path)) throw new SocketPathError(path, 'must be an absolute path');
  const bytes = Buffer.byteLength(path);
  if (bytes > MAX_SOCKET_PATH_BYTES) throw new SocketPathError(path, `is ${bytes} bytes long, at most ${MAX_SOCKET_PATH_BYTES} allowed`);
}

/**
 * Whether `path` may be bound (or renamed over): nothing there, or a socket nobody accepts
 * on (left by a SIGKILLed predecessor; the rename replaces it). Anything else — a live
 * socket, a regular file, a directory, a symlink — is never touched and makes this throw.
 */
export async function checkReplaceable(path: string): Promise<void> {
  let st: Stats;
  try {
    st = lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new SocketPathError(path, errnoText(err), err);
    // bind() reports a missing directory as EACCES; say what is wrong.
    if (!existsSync(dirname(path))) throw new SocketPathError(path, 'its directory does not exist');
    return;
  }
  if (!st.isSocket()) throw new SocketPathError(path, 'exists and is not a socket (refusing to replace it)');
  const probe = await probeSocket(path);
  if (probe === 'live') throw new SocketPathError(path, 'another process is listening on it');
  if (probe !== 'stale') throw new SocketPathError(path, `exists and cannot be checked (${probe}); not replacing it`);
}

/**
 * Connects to the socket file at `path`: 'live' when something accepts, 'stale' when
 * nobody does (ECONNREFUSED) or it vanished (ENOENT), 'live' too on EAGAIN (a full
 * backlog), else the error code (EACCES: it is someone else's, and not ours to remove).
 */
function probeSocket(path: string): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ path });
    const done = (result: string): void => {
      clearTimeout(timer);
      s.destroy();
      resolve(result);
    };
    // A listener with a full backlog may not answer at once; it is alive all the same.
    const timer = setTimeout(() => done('live'), 1000);
    s.once('connect', () => done('live'));
    s.once('error', (err: NodeJS.ErrnoException) => {
      const code = err.code ?? err.message;
      done(code === 'ECONNREFUSED' || code === 'ENOENT' ? 'stale' : code === 'EAGAIN' ? 'live' : code);
    });
  });
}

/** Unlinks the socket file we bound, unless it has since been replaced by someone else's. */
export function unlinkOwnSocket(unix: { path: string; dev: number; ino: number }): void {
  try {
    const st = lstatSync(unix.path);
    if (st.dev === unix.dev && st.ino === unix.ino) unlinkSync(unix.path);
  } catch {
    // Already gone (or unreadable): nothing of ours to remove.
  }
}
