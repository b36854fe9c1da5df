/** Test client that speaks raw bytes and parses what comes back (tests only). */
import net from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export interface Exchange {
  responses: RawResponse[];
  /** The server closed the connection. */
  closed: boolean;
  /** Unparsed trailing bytes. */
  rest: Buffer;
}

/**
 * Parses complete responses from buf. `headFor(i)` tells whether response i answers HEAD.
 * Returns the responses and the unconsumed bytes; interim 1xx responses are skipped.
 */
export function parseResponses(
  buf: Buffer,
  headFor: (i: number) => boolean = () => false,
  closed = false,
): { responses: RawResponse[]; rest: Buffer } {
  const responses: RawResponse[] = [];
  let pos = 0;
  for (;;) {
    const end = buf.indexOf('\r\n\r\n', pos);
    if (end === -1) break;
    const lines = buf.toString('latin1', pos, end).split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]);
    if (m === null) throw new Error(`bad status line: ${JSON.stringify(lines[0])}`);
    const status = Number(m[1]);
    const headers: Record<string, string> = {};
    for (const l of lines.slice(1)) {
      const c = l.indexOf(':');
      const k = l.slice(0, c).toLowerCase();
      headers[k] = headers[k] === undefined ? l.slice(c + 1).trim() : `${headers[k]}, ${l.slice(c + 1).trim()}`;
    }
    let p = end + 4;
    if (status < 200) {
      pos = p;
      continue;
    }
    let body: Buffer;
    if (headFor(responses.length) || status === 204 || status === 304) {
      body = Buffer.alloc(0);
    } else if (headers['transfer-encoding'] === 'chunked') {
      const parts: Buffer[] = [];
      let complete = false;
      for (;;) {
        const le = buf.indexOf('\r\n', p);
        if (le === -1) break;
        const size = parseInt(buf.toString('latin1', p, le), 16);
        if (size === 0) {
          const te = buf.indexOf('\r\n\r\n', le);
          if (te === -1 && buf.indexOf('\r\n', le + 2) !== le + 2) break;
          p = le + 4;
          complete = true;
          break;
        }
        if (le + 2 + size + 2 > buf.length) break;
        parts.push(buf.subarray(le + 2, le + 2 + size));
        p = le + 2 + size + 2;
      }
      if (!complete) break;
      body = Buffer.concat(parts);
    } else if (headers['content-length'] !== undefined) {
      const n = Number(headers['content-length']);
      if (p + n > buf.length) break;
      body = buf.subarray(p, p + n);
      p += n;
    } else {
      if (!closed) break;
      body = buf.subarray(p);
      p = buf.length;
    }
    responses.push({ status, headers, body });
    pos = p;
  }
  return { responses, rest: buf.subarray(pos) };
}

export interface SendOptions {
  /** Stop once this many responses arrived (default: wait for close or idle). */
  responses?: number;
  /** Give up after this long (ms). */
  timeoutMs?: number;
  /** Pause between writes (ms). */
  pauseMs?: number;
  head?: (i: number) => boolean;
}

/** Writes each part in order on one connection and collects the responses. */
export function sendRaw(port: number, parts: (string | Buffer)[], opts: SendOptions = {}): Promise<Exchange> {
  const timeoutMs = opts.timeoutMs ?? 3000;
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let closed = false;
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      const buf = Buffer.concat(chunks);
      try {
        const { responses, rest } = parseResponses(buf, opts.head, closed);
        sock.destroy();
        resolve({ responses, closed, rest });
      } catch (e) {
        sock.destroy();
        reject(e);
      }
    };
    const timer = setTimeout(finish, timeoutMs);
    sock.on('data', (c) => {
      chunks.push(c);
      if (opts.responses !== undefined) {
        try {
          if (parseResponses(Buffer.concat(chunks), opts.head).responses.length >= opts.responses) finish();
        } catch {
          /* incomplete or bad: decided at finish */
        }
      }
    });
    sock.on('error', () => {});
    sock.on('close', () => {
      closed = true;
      finish();
    });
    sock.on('connect', async () => {
      for (const p of parts) {
        if (sock.destroyed) return;
        sock.write(typeof p === 'string' ? Buffer.from(p, 'latin1') : p);
        if (opts.pauseMs) await new Promise((r) => setTimeout(r, opts.pauseMs));
      }
    });
  });
}

/** A GET over a fresh connection; resolves with the response. */
export async function get(port: number, path: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  const h = Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  const ex = await sendRaw(port, [`GET ${path} HTTP/1.1\r\nHost: localhost\r\n${h}Connection: close\r\n\r\n`]);
  if (ex.responses.length !== 1) throw new Error(`expected one response, got ${ex.responses.length}`);
  return ex.responses[0];
}
