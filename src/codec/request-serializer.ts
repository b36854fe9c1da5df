/**
 * Serialises a request head (RFC 9112 §3). A value that would break the framing - CR, LF
 * or NUL anywhere, a colon or space in a name, a space in the target - is refused with a
 * TypeError before anything is written, so a caller can never split a request.
 */

export interface RequestHeadInput {
  method: string;
  /** Origin-form target (`/path?query`), or `*`. */
  target: string;
  /** Flat `[name, value, …]` list (order and repeats kept) or a record. */
  headers?: readonly string[] | Readonly<Record<string, string | readonly string[]>>;
  /** The Host field when `headers` has none. */
  host: string;
  /** How the body goes: none, `length` bytes, or chunked. */
  body: { kind: 'none' } | { kind: 'length'; length: number } | { kind: 'chunked' };
  /**
   * The caller vouches that names are lower-case tokens and values hold no CR, LF or NUL -
   * true of fields the engine's parser accepted - so they are not checked again.
   */
  validated?: boolean;
}

/** Fields whose framing or connection meaning is the serialiser's own business. */
const OWN_FIELDS: ReadonlySet<string> = new Set(['transfer-encoding', 'connection', 'keep-alive', 'content-length']);
/** Methods whose empty body is announced with Content-Length: 0 (as undici and browsers do). */
const BODY_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH']);
const UNSAFE = /[\r\n\0]/;
const BAD_NAME = /[\r\n\0:\s]/;

/** The head as latin1 text, CRLF CRLF included. */
export function serializeRequestHead(req: RequestHeadInput): string {
  if (UNSAFE.test(req.method) || req.method.includes(' ') || UNSAFE.test(req.target) || req.target.includes(' ')) {
    throw new TypeError('invalid method or request-target');
  }
  let head = `${req.method} ${req.target} HTTP/1.1\r\n`;
  let hasHost = false;
  const validated = req.validated === true;
  const add = (name: string, value: string): void => {
    if (!validated && (BAD_NAME.test(name) || name === '' || UNSAFE.test(value))) {
      throw new TypeError(`invalid header ${JSON.stringify(name)}`);
    }
    const lower = validated ? name : name.toLowerCase();
    if (OWN_FIELDS.has(lower)) return;
    if (lower === 'host') hasHost = true;
    head += `${name}: ${value}\r\n`;
  };
  const headers = req.headers;
  if (Array.isArray(headers)) {
    for (let i = 0; i + 1 < headers.length; i += 2) add(headers[i], headers[i + 1]);
  } else if (headers !== undefined) {
    const record = headers as Readonly<Record<string, string | readonly string[]>>;
    for (const name of Object.keys(record)) {
      const value = record[name];
      if (typeof value === 'string') add(name, value);
      else for (const v of value) add(name, v);
    }
  }
  if (!hasHost) head += `host: ${req.host}\r\n`;
  const body = req.body;
  if (body.kind === 'length') head += `content-length: ${body.length}\r\n`;
  else if (body.kind === 'chunked') head += 'transfer-encoding: chunked\r\n';
  else if (BODY_METHODS.has(req.method)) head += 'content-length: 0\r\n';
  return `${head}\r\n`;
}
