/**
 * Addresses as options and registrations give them: http origins of workers, and the
 * Unix-domain socket paths that the server listens on and the dispatcher connects to.
 * Also the CIDR ranges of trusted proxies.
 */
import { isIP } from 'node:net';

/**
 * sun_path holds 108 bytes on Linux including the NUL; 100 leaves room for the temporary
 * bind name (the directory plus 8 bytes, see listenPath()).
 */
export const MAX_SOCKET_PATH_BYTES = 100;

/**
 * A socket path as options take it (`--unix-socket`, `--upstreams unix:…`): absolute, at most
 * MAX_SOCKET_PATH_BYTES of printable ASCII, so characters are bytes and the limit is exact.
 */
export const SOCKET_PATH_PATTERN = new RegExp(`^/[\\x20-\\x7e]{0,${MAX_SOCKET_PATH_BYTES - 1}}$`);

/**
 * Normalises an upstream address to its origin (`http://host:port`, or `https://` for a
 * worker serving TLS), or throws a TypeError saying what is wrong.
 */
export function parseUpstreamAddress(input: string): string {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new TypeError(`address must be an http(s) URL like http://host:port, got ${JSON.stringify(input)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`address must use http: or https:, got ${url.protocol}`);
  if (url.hostname === '') throw new TypeError('address needs a host');
  if (url.username !== '' || url.password !== '') throw new TypeError('address must not carry credentials');
  if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '') {
    throw new TypeError('address must be an origin (no path, query or fragment)');
  }
  if (url.port === '0') throw new TypeError('address port must be in [1, 65535]');
  return url.origin;
}

/** Where an upstream known only by its socket sends requests to: its Host field. */
export const SOCKET_ORIGIN = 'http://localhost';
export const SOCKET_PREFIX = 'unix:';

/** Whether `input` names an upstream by its Unix-domain socket (`unix:/path`). */
export function isSocketAddress(input: string): boolean {
  return input.startsWith(SOCKET_PREFIX);
}

/** The socket path of a `unix:/path` address; undefined for an http one. */
export function socketPathOf(address: string): string | undefined {
  return isSocketAddress(address) ? address.slice(SOCKET_PREFIX.length) : undefined;
}

/**
 * Normalises a fixed upstream of `--upstreams`: an http origin (parseUpstreamAddress), or
 * `unix:/absolute/path` for a worker on a Unix-domain socket (as nginx's `server unix:…`).
 * Throws a TypeError saying what is wrong.
 */
export function parseFixedUpstream(input: string): string {
  if (!isSocketAddress(input)) return parseUpstreamAddress(input);
  const path = input.slice(SOCKET_PREFIX.length);
  if (!SOCKET_PATH_PATTERN.test(path)) {
    throw new TypeError(
      `a socket upstream must be unix: and an absolute path of at most 100 bytes (printable ASCII), got ${JSON.stringify(input)}`,
    );
  }
  return input;
}

/** One `--trusted-proxies` entry: an address and how many leading bits of it matter. */
export interface Cidr {
  readonly address: string;
  readonly prefix: number;
  readonly family: 'ipv4' | 'ipv6';
}

/**
 * Parses `10.0.0.0/8`, `fd00::/8`, or a single address (a /32 or /128). Throws a TypeError
 * saying what is wrong.
 */
export function parseCidr(input: string): Cidr {
  const text = input.trim();
  const slash = text.indexOf('/');
  const address = slash === -1 ? text : text.slice(0, slash);
  const version = isIP(address);
  if (version === 0) throw new TypeError(`${JSON.stringify(input)} is not an IPv4 or IPv6 address or CIDR`);
  const max = version === 4 ? 32 : 128;
  let prefix = max;
  if (slash !== -1) {
    const bits = text.slice(slash + 1);
    prefix = /^\d{1,3}$/.test(bits) ? Number(bits) : Number.NaN;
    if (!(prefix <= max)) throw new TypeError(`${JSON.stringify(input)}: the prefix length must be in [0, ${max}]`);
  }
  return Object.freeze({ address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' });
}
