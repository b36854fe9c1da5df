/**
 * Direct tests of three smuggling defences of the codec (issue 17: before, only the shared
 * conformance corpus caught them): chunk data must be followed by CRLF, no whitespace may
 * stand between a field name and its colon, and Content-Length with Transfer-Encoding is
 * refused - for requests and for responses, whole and at every split point. Each was
 * checked to fail with its mechanism removed.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BodyDecoder, type BodyErrorCodes, REQUEST_BODY_CODES, RESPONSE_BODY_CODES } from '../../src/codec/body-decoder.js';
import { ProtocolError } from '../../src/codec/errors.js';
import { requestFraming } from '../../src/codec/framing.js';
import { HeadScan, parseHead } from '../../src/codec/request-head.js';
import { parseResponseHead } from '../../src/codec/response-head.js';
import { ENGINE_DEFAULTS } from '../../src/server/options.js';

const LIMITS = ENGINE_DEFAULTS;
const SIDES: ReadonlyArray<[string, BodyErrorCodes]> = [
  ['request', REQUEST_BODY_CODES],
  ['response', RESPONSE_BODY_CODES],
];

/** Decodes a chunked body fed in two pieces split at `k`: the payload, or the error thrown. */
function decodeChunked(body: string, codes: BodyErrorCodes, k: number): { payload: string; done: boolean } | ProtocolError {
  const bytes = Buffer.from(body, 'latin1');
  const decoder = new BodyDecoder('chunked', 0, LIMITS, codes);
  const out: Buffer[] = [];
  try {
    for (const piece of [bytes.subarray(0, k), bytes.subarray(k)]) decoder.feed(piece, 0, (d) => out.push(Buffer.from(d)));
  } catch (err) {
    if (err instanceof ProtocolError) return err;
    throw err;
  }
  return { payload: Buffer.concat(out).toString('latin1'), done: decoder.done };
}

function everySplit(text: string, check: (k: number) => void): void {
  for (let k = 0; k <= text.length; k++) check(k);
}

describe('chunk data must be followed by CRLF', () => {
  for (const [side, codes] of SIDES) {
    test(`${side}: a well-framed body decodes at every split`, () => {
      everySplit('3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n', (k) =>
        assert.deepEqual(decodeChunked('3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n', codes, k), { payload: 'abcde', done: true }, `split ${k}`),
      );
    });

    for (const [what, body] of [
      ['another byte instead of CR', '3\r\nabcX\r\n0\r\n\r\n'],
      ['two other bytes instead of CRLF (the rest then parses)', '3\r\nabcXY0\r\n\r\n'],
      ['the next size at once', '3\r\nabc0\r\n\r\n'],
      ['LF without CR', '3\r\nabc\n0\r\n\r\n'],
      ['CR without LF', '3\r\nabc\rX0\r\n\r\n'],
      ['more data than the size', '3\r\nabcd\r\n0\r\n\r\n'],
    ]) {
      test(`${side}: ${what} is refused (${codes.bad}) at every split`, () => {
        everySplit(body, (k) => {
          const r = decodeChunked(body, codes, k);
          assert.ok(r instanceof ProtocolError, `split ${k}: accepted as ${JSON.stringify(r)}`);
          assert.equal(r.code, codes.bad);
          assert.match(r.message, /CRLF/);
        });
      });
    }
  }
});

/** Parses a request head fed in two pieces (resumed with a HeadScan, as the engine does). */
function requestHead(text: string, k: number): ReturnType<typeof parseHead> | ProtocolError {
  const bytes = Buffer.from(text, 'latin1');
  const scan = new HeadScan();
  try {
    const first = parseHead(bytes.subarray(0, k), LIMITS, scan);
    return first ?? parseHead(bytes, LIMITS, scan);
  } catch (err) {
    if (err instanceof ProtocolError) return err;
    throw err;
  }
}

function responseHead(text: string, method = 'GET'): ReturnType<typeof parseResponseHead> | ProtocolError {
  try {
    return parseResponseHead(text, method, false);
  } catch (err) {
    if (err instanceof ProtocolError) return err;
    throw err;
  }
}

describe('no whitespace between a field name and its colon', () => {
  for (const [what, line] of [
    ['a space', 'X-A : 1'],
    ['a tab', 'X-A\t: 1'],
    ['spaces', 'Content-Length  : 0'],
  ]) {
    test(`request: ${what} is a 400 at every split`, () => {
      const text = `GET / HTTP/1.1\r\nHost: x\r\n${line}\r\n\r\n`;
      everySplit(text, (k) => {
        const r = requestHead(text, k);
        assert.ok(r instanceof ProtocolError, `split ${k}: accepted`);
        assert.equal(r.code, 'BAD_REQUEST');
      });
    });

    test(`response: ${what} is a bad answer`, () => {
      const r = responseHead(`HTTP/1.1 200 OK\r\n${line}\r\n`);
      assert.ok(r instanceof ProtocolError, 'accepted');
      assert.equal(r.code, 'BAD_RESPONSE');
    });
  }

  test('without the whitespace, both parse, the value trimmed of OWS', () => {
    const req = requestHead('GET / HTTP/1.1\r\nHost: x\r\nX-A: \t1 \r\n\r\n', 20);
    assert.ok(req !== null && !(req instanceof ProtocolError));
    assert.deepEqual(req.fields, ['host', 'x', 'x-a', '1']);
    const res = responseHead('HTTP/1.1 200 OK\r\nX-A: \t1 \r\n');
    assert.ok(!(res instanceof ProtocolError));
    assert.equal(res.get('x-a'), '1');
  });
});

describe('Content-Length with Transfer-Encoding', () => {
  const both = [
    ['Content-Length first', 'Content-Length: 5\r\nTransfer-Encoding: chunked\r\n'],
    ['Transfer-Encoding first', 'Transfer-Encoding: chunked\r\nContent-Length: 5\r\n'],
    ['Content-Length 0', 'Content-Length: 0\r\nTransfer-Encoding: chunked\r\n'],
  ];
  for (const [what, fields] of both) {
    test(`request (${what}): a 400`, () => {
      const head = requestHead(`POST / HTTP/1.1\r\nHost: x\r\n${fields}\r\n`, 0);
      assert.ok(head !== null && !(head instanceof ProtocolError));
      assert.throws(
        () => requestFraming(head),
        (err: unknown) => err instanceof ProtocolError && err.code === 'BAD_REQUEST',
      );
    });

    test(`response (${what}): a bad answer`, () => {
      const r = responseHead(`HTTP/1.1 200 OK\r\n${fields}`);
      assert.ok(r instanceof ProtocolError, `accepted as ${r instanceof ProtocolError ? '' : r.framing.kind}`);
      assert.equal(r.code, 'BAD_RESPONSE');
    });
  }

  test('each alone frames the body', () => {
    const cl = requestHead('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n', 0);
    const te = requestHead('POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n', 0);
    assert.ok(cl !== null && !(cl instanceof ProtocolError) && te !== null && !(te instanceof ProtocolError));
    assert.deepEqual([requestFraming(cl).body, requestFraming(cl).contentLength], ['length', 5]);
    assert.equal(requestFraming(te).body, 'chunked');
    const rcl = responseHead('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n');
    const rte = responseHead('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n');
    assert.ok(!(rcl instanceof ProtocolError) && !(rte instanceof ProtocolError));
    assert.deepEqual([rcl.framing.kind, rcl.framing.length], ['length', 5]);
    assert.equal(rte.framing.kind, 'chunked');
  });

  test('bodyless answers (HEAD, 204, 304) are refused too: the head goes on to a client as it came', () => {
    for (const [method, line] of [
      ['HEAD', 'HTTP/1.1 200 OK'],
      ['GET', 'HTTP/1.1 204 No Content'],
      ['GET', 'HTTP/1.1 304 Not Modified'],
    ]) {
      const r = responseHead(`${line}\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n`, method);
      assert.ok(r instanceof ProtocolError && r.code === 'BAD_RESPONSE', `${method} ${line}: accepted`);
    }
  });
});
