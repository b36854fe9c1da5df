/**
 * The cluster token as options give it: `--cluster-token` (or DHTTP_CLUSTER_TOKEN), or
 * `--cluster-token-file`, read once at start, which keeps the secret out of `ps` output and
 * of the process environment.
 */
import { readFileSync, statSync } from 'node:fs';
import { ConfigError } from './errors.js';

/**
 * RFC 6750 bearer-token characters (b64token), at least 16 of them: the token guards who
 * may add workers, so a short guessable one would guard nothing.
 */
export const CLUSTER_TOKEN_PATTERN = /^[A-Za-z0-9._~+/-]{16,1024}=*$/;
export const CLUSTER_TOKEN_TEXT = '16–1024 characters of [A-Za-z0-9._~+/-] (a bearer token; e.g. openssl rand -hex 32)';

/** A token file is one line; anything much bigger is the wrong file. */
const MAX_FILE_BYTES = 4096;

/**
 * The token in the file at `path`, its trailing newline trimmed. Throws a one-line
 * ConfigError naming `source` (the flag or variable that gave the path) - never the
 * file's content, which is a secret.
 */
export function readClusterTokenFile(path: string, source: string): string {
  const bad = (why: string): ConfigError => new ConfigError(`invalid ${source} ${JSON.stringify(path)}: ${why}`);
  let text: string;
  try {
    const stat = statSync(path);
    if (!stat.isFile()) throw bad('not a regular file');
    if (stat.size > MAX_FILE_BYTES) throw bad(`larger than ${MAX_FILE_BYTES} bytes; it must hold the token only`);
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw bad(`cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  const token = text.replace(/\r?\n$/, '');
  if (token === '') throw bad('the file is empty');
  if (!CLUSTER_TOKEN_PATTERN.test(token)) throw bad(`its content must be ${CLUSTER_TOKEN_TEXT}`);
  return token;
}
