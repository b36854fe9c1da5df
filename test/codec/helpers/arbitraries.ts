/**
 * fast-check generators for the contract's properties: sequences of answers (or requests)
 * with random framings, fields and bodies, their expectations built by the same small
 * framing helpers as the hand-written cases; and malformed streams made of good messages
 * followed by one of the hand-written malformed ones.
 */
import fc from 'fast-check';
import type { RequestCase, Req } from './request-cases.js';
import { MALFORMED_REQUESTS } from './request-cases.js';
import { type Answer, bodyless, chunked, MALFORMED_RESPONSES, type ResponseCase, untilClose, withLength } from './response-cases.js';

const TCHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

const token = fc.string({ unit: fc.constantFrom(...TCHARS), minLength: 1, maxLength: 10 });

/** latin1 text of any byte value. */
const bytes = (maxLength: number): fc.Arbitrary<string> => fc.uint8Array({ maxLength }).map((a) => Buffer.from(a).toString('latin1'));

/** A field value: visible ASCII, obs-text, inner SP/HTAB (edges are OWS, trimmed anyway). */
const value = fc
  .array(
    fc.integer({ min: 0x20, max: 0xff }).filter((c) => c !== 0x7f),
    { maxLength: 16 },
  )
  .map((cs) => String.fromCharCode(...cs).trim());

/** Extra fields that do not touch framing: names prefixed so they cannot be one of those that matter. */
const fields = fc.array(
  fc.tuple(token, value, fc.constantFrom(': ', ':', ':\t', ':  ')).map(([n, v, sep]) => `X-${n}${sep}${v}`),
  { maxLength: 4 },
);

const chunkExt = fc.oneof(
  fc.constant(''),
  token.map((t) => `;${t}`),
  fc.tuple(token, token).map(([n, v]) => `;${n}=${v}`),
  token.map((t) => `;q="${t} x"`),
);

const interim = fc.constantFrom('', 'HTTP/1.1 100 Continue\r\n\r\n', 'HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n');

const status = fc.constantFrom(200, 201, 299, 404, 500, 599);

/** An answer that leaves the connection open for the next one. */
export const keptAnswer: fc.Arbitrary<Answer> = fc.oneof(
  fc
    .record({ payload: bytes(80), status, fields, interim })
    .map((a) => withLength(a.payload, { status: a.status, statusLine: `HTTP/1.1 ${a.status} X`, fields: a.fields, interim: a.interim })),
  fc
    .record({
      chunks: fc.array(
        fc.tuple(
          bytes(20).filter((s) => s.length > 0),
          chunkExt,
        ),
        { maxLength: 5 },
      ),
      trailers: fc.array(
        fc.tuple(token, value).map(([n, v]) => `X-${n}: ${v}`),
        { maxLength: 3 },
      ),
      status,
      fields,
      interim,
    })
    .map((a) => chunked(a.chunks, { statusLine: `HTTP/1.1 ${a.status} X`, fields: a.fields, trailers: a.trailers, interim: a.interim })),
  fc
    .record({ code: fc.constantFrom('204 No Content', '304 Not Modified'), fields, announce: fc.constantFrom('', 'Content-Length: 7') })
    .map((a) => bodyless({ statusLine: `HTTP/1.1 ${a.code}`, fields: a.announce === '' ? a.fields : [...a.fields, a.announce] })),
  fc
    .record({ fields, announce: fc.constantFrom('Content-Length: 12', 'Transfer-Encoding: chunked', 'Content-Length: 0') })
    .map((a) => bodyless({ method: 'HEAD', fields: [...a.fields, a.announce] })),
);

/** A last answer that may also end the connection (close-delimited) or ask to close it. */
const lastAnswer: fc.Arbitrary<{ answer: Answer; eof: boolean }> = fc.oneof(
  keptAnswer.map((answer) => ({ answer, eof: false })),
  fc.record({ payload: bytes(80), fields }).map((a) => ({ answer: untilClose(a.payload, { fields: a.fields }), eof: true })),
  bytes(40).map((p) => ({ answer: withLength(p, { fields: ['Connection: close'], keepAlive: false }), eof: false })),
);

/** A valid stream of 1-6 answers. */
export const validResponses: fc.Arbitrary<ResponseCase> = fc
  .tuple(fc.array(keptAnswer, { maxLength: 5 }), lastAnswer)
  .map(([kept, last]) => ({ name: 'generated', answers: [...kept, last.answer], eof: last.eof }));

/** Good answers, then a malformed one from the hand-written list (its own framing error). */
export const malformedResponses: fc.Arbitrary<ResponseCase> = fc
  .tuple(
    fc.array(keptAnswer, { maxLength: 4 }),
    fc.constantFrom(...MALFORMED_RESPONSES.filter((c) => c.bad?.refusal === 'framing' && c.answers.length === 0)),
  )
  .map(([good, bad]) => ({ name: `generated, then ${bad.name}`, answers: good, bad: bad.bad, eof: false }));

/** Cut points for a stream of `length` bytes. */
export const cutsOf = fc.array(fc.nat(), { maxLength: 6 });

export function normalizeCuts(cuts: readonly number[], length: number): number[] {
  return [...new Set(cuts.map((c) => (length === 0 ? 0 : c % length)))].filter((c) => c > 0).sort((a, b) => a - b);
}

export function piecesOf(stream: Buffer, cuts: readonly number[]): Buffer[] {
  const bounds = [0, ...cuts, stream.length];
  const out: Buffer[] = [];
  for (let i = 0; i + 1 < bounds.length; i++) if (bounds[i + 1] > bounds[i]) out.push(stream.subarray(bounds[i], bounds[i + 1]));
  return out;
}

/** An origin-form path: unreserved and sub-delim characters, ':' '@' '/', and valid percent-escapes. */
const path = fc
  .array(fc.oneof(fc.constantFrom(...'abcxyz019-._~!$&()*+,;=:@/'), fc.constantFrom('%20', '%2F', '%C3%A9', '%25')), {
    minLength: 1,
    maxLength: 12,
  })
  .map((cs) => `/${cs.join('')}`);

const H = 'Host: localhost\r\n';

/** A request that keeps the connection open. */
const keptRequest: fc.Arbitrary<Req> = fc.oneof(
  fc.record({ target: path, fields }).map(
    ({ target, fields: f }): Req => ({
      method: 'GET',
      target,
      payload: '',
      wire: `GET ${target} HTTP/1.1\r\n${H}${f.map((x) => `${x}\r\n`).join('')}\r\n`,
    }),
  ),
  fc.record({ target: path, fields, payload: bytes(60) }).map(
    ({ target, fields: f, payload }): Req => ({
      method: 'POST',
      target,
      payload,
      wire: `POST ${target} HTTP/1.1\r\n${H}${f.map((x) => `${x}\r\n`).join('')}Content-Length: ${payload.length}\r\n\r\n${payload}`,
    }),
  ),
  fc
    .record({
      target: path,
      fields,
      chunks: fc.array(
        fc.tuple(
          bytes(20).filter((s) => s.length > 0),
          chunkExt,
        ),
        { maxLength: 4 },
      ),
      trailers: fc.array(
        fc.tuple(token, value).map(([n, v]) => `X-${n}: ${v}\r\n`),
        { maxLength: 2 },
      ),
    })
    .map(({ target, fields: f, chunks, trailers }): Req => {
      const framed = `${chunks.map(([d, e]) => `${d.length.toString(16)}${e}\r\n${d}\r\n`).join('')}0\r\n${trailers.join('')}\r\n`;
      return {
        method: 'PUT',
        target,
        payload: chunks.map(([d]) => d).join(''),
        wire: `PUT ${target} HTTP/1.1\r\n${H}${f.map((x) => `${x}\r\n`).join('')}Transfer-Encoding: chunked\r\n\r\n${framed}`,
      };
    }),
);

export const validRequests: fc.Arbitrary<RequestCase> = fc
  .array(keptRequest, { minLength: 1, maxLength: 5 })
  .map((requests) => ({ name: 'generated', requests, eof: false }));

export const malformedRequests: fc.Arbitrary<RequestCase> = fc
  .tuple(
    fc.array(keptRequest, { maxLength: 4 }),
    fc.constantFrom(...MALFORMED_REQUESTS.filter((c) => c.bad?.refusal === 'framing' && c.requests.length === 0)),
  )
  .map(([good, bad]) => ({ name: `generated, then ${bad.name}`, requests: good, bad: bad.bad, eof: false }));
