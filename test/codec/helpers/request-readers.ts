/**
 * The readers of the request contract. In process: parseHead (resumed with a HeadScan over
 * the bytes gathered so far), requestFraming, the target's parsing and the BodyDecoder, driven the way the
 * engine's connection drives them. Over a real socket: the engine itself, running a
 * handler that echoes each request back (method and target in fields, the body as the
 * body), read by the tests' own response parser.
 */
import net from 'node:net';
import { BodyDecoder, REQUEST_BODY_CODES } from '../../../src/codec/body-decoder.js';
import { ProtocolError, type ProtocolErrorCode } from '../../../src/codec/errors.js';
import { requestFraming } from '../../../src/codec/framing.js';
import { HeadScan, parseHead } from '../../../src/codec/request-head.js';
import { decodePath, parseTarget } from '../../../src/codec/target.js';
import { ENGINE_DEFAULTS } from '../../../src/server/options.js';
import { createHttpServer, type HttpServer } from '../../../src/server/server.js';
import { parseResponses } from '../../server/helpers/raw-client.js';
import type { RequestCase } from './request-cases.js';

export interface Accepted {
  method: string;
  target: string;
  payload: string;
}

export interface RequestOutcome {
  accepted: Accepted[];
  /**
   * 'none', a refusal's status, 'close' (closed without an answer), 'pending' (waiting
   * with no EOF); anything else is a mismatch.
   */
  refusal: number | string;
}

/** The statuses the engine gives the codec's codes (SPEC §2); written here, not imported. */
const STATUS: Record<Exclude<ProtocolErrorCode, 'BAD_RESPONSE'>, number> = {
  BAD_REQUEST: 400,
  URI_TOO_LONG: 414,
  HEADERS_TOO_LARGE: 431,
  PAYLOAD_TOO_LARGE: 413,
  NOT_IMPLEMENTED: 501,
  EXPECTATION_FAILED: 417,
  VERSION_NOT_SUPPORTED: 505,
};

export function expectedRequests(c: RequestCase): RequestOutcome {
  const accepted = c.requests.map((r) => ({ method: r.method, target: r.target, payload: r.payload }));
  if (c.bad === undefined) return { accepted, refusal: 'none' };
  return { accepted, refusal: c.bad.status };
}

const LIMITS = ENGINE_DEFAULTS;

/** The codec in process, as the engine's connection drives it. A cut body is the engine's 400. */
export function readRequests(pieces: readonly Buffer[], eof: boolean): RequestOutcome {
  const accepted: Accepted[] = [];
  let input: Buffer = Buffer.alloc(0);
  const scan = new HeadScan();
  let body: BodyDecoder | undefined;
  let current: { method: string; target: string; parts: Buffer[] } | undefined;
  const finish = (): void => {
    const c = current as { method: string; target: string; parts: Buffer[] };
    accepted.push({ method: c.method, target: c.target, payload: Buffer.concat(c.parts).toString('latin1') });
    current = undefined;
    body = undefined;
  };
  const refusal = (err: unknown): RequestOutcome => {
    if (!(err instanceof ProtocolError) || err.code === 'BAD_RESPONSE') throw err;
    return { accepted, refusal: STATUS[err.code] };
  };
  for (const piece of pieces) {
    let rest: Buffer = piece;
    while (rest.length > 0) {
      if (body !== undefined) {
        let used: number;
        try {
          used = body.feed(rest, 0, (d) => current?.parts.push(Buffer.from(d)));
        } catch (err) {
          return refusal(err);
        }
        if (!body.done) break;
        finish();
        rest = rest.subarray(used);
        continue;
      }
      // As InputBuffer: bytes that follow a head are kept as the same view, so the next
      // pipelined head is parsed from the window the HeadScan decoded before.
      input = input.length === 0 ? rest : Buffer.concat([input, rest]);
      rest = Buffer.alloc(0);
      let head: ReturnType<typeof parseHead>;
      let framing: ReturnType<typeof requestFraming>;
      try {
        head = parseHead(input, LIMITS, scan);
        if (head === null) break;
        framing = requestFraming(head);
        const t = parseTarget(head.method, head.target);
        if (t.rawPath !== '*') decodePath(t.rawPath);
      } catch (err) {
        return refusal(err);
      }
      scan.reset();
      rest = input.subarray(head.end);
      input = Buffer.alloc(0);
      current = { method: head.method, target: head.target, parts: [] };
      if (framing.body === 'none') finish();
      else body = new BodyDecoder(framing.body, framing.contentLength, LIMITS, REQUEST_BODY_CODES);
    }
  }
  if (body !== undefined) return { accepted, refusal: eof ? 400 : 'pending' };
  if (input.length > 0) return { accepted, refusal: eof ? 'close' : 'pending' };
  return { accepted, refusal: 'none' };
}

/** The engine with a handler echoing each request: method and target as fields, body as body. */
export async function startEchoServer(): Promise<{ server: HttpServer; port: number }> {
  const server = createHttpServer({ headerTimeoutMs: 5000, bodyTimeoutMs: 5000, onError: () => {} }, async (req, res) => {
    const parts: Buffer[] = [];
    for await (const c of req.body) parts.push(c as Buffer);
    res.setHeader('X-Method', req.method);
    res.setHeader('X-Target', req.target);
    res.send(200, Buffer.concat(parts), 'application/octet-stream');
  });
  const { port } = await server.listen(0, '127.0.0.1');
  return { server, port };
}

/**
 * The stream to the engine cut at `split` (two writes 5 ms apart), half-closed after it
 * when `eof`; what came back once `good` echoes arrived on a valid stream, or the engine
 * closed the connection.
 */
export function serverReads(port: number, c: RequestCase, stream: Buffer, split: number): Promise<RequestOutcome> {
  const good = c.requests.length;
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let closed = false;
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      try {
        const { responses } = parseResponses(Buffer.concat(chunks), () => false, false);
        const accepted: Accepted[] = [];
        let refusal: RequestOutcome['refusal'] = 'none';
        for (const r of responses) {
          if (r.status !== 200 || r.headers['x-method'] === undefined) {
            // A refusal ends the connection: a status without the close is a mismatch.
            refusal = closed ? r.status : `${r.status} without a close`;
            break;
          }
          accepted.push({ method: r.headers['x-method'], target: r.headers['x-target'], payload: r.body.toString('latin1') });
        }
        if (refusal === 'none' && (c.bad !== undefined || accepted.length < good)) refusal = closed ? 'close' : 'pending';
        resolve({ accepted, refusal });
      } catch (err) {
        reject(err);
      }
    };
    const timer = setTimeout(finish, 4000);
    socket.on('data', (d: Buffer) => {
      chunks.push(d);
      if (c.bad !== undefined) return;
      try {
        // A valid stream: done once every echo came (the connection may stay open).
        if (parseResponses(Buffer.concat(chunks)).responses.length >= good) setTimeout(finish, 20);
      } catch {
        /* decided at finish */
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      closed = true;
      finish();
    });
    socket.on('connect', () => {
      const pieces = [stream.subarray(0, split), stream.subarray(split)].filter((p) => p.length > 0);
      socket.write(pieces[0]);
      const rest = (): void => {
        if (socket.destroyed) return;
        if (pieces.length > 1) socket.write(pieces[1]);
        if (c.eof) socket.end();
      };
      if (pieces.length > 1) setTimeout(rest, 5);
      else rest();
    });
  });
}
