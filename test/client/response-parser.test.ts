import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ResponseParser, type ResponseHead } from '../../src/client/response-parser.js';

interface Parsed {
  head?: ResponseHead;
  body: string;
  complete: boolean;
  extra: number;
}

/** Feeds `raw` in the given pieces; `eof` then signals the connection's end. */
function parse(method: string, pieces: Buffer[], eof = false): Parsed {
  const out: Parsed = { body: '', complete: false, extra: 0 };
  const parser = new ResponseParser(method, {
    onHead: (h) => (out.head = h),
    onData: (d) => (out.body += d.toString('latin1')),
    onComplete: () => (out.complete = true),
  });
  for (const p of pieces) parser.feed(p);
  if (eof) parser.end();
  out.extra = parser.extra;
  return out;
}

function atEveryOffset(method: string, raw: string, check: (p: Parsed, split: number) => void, eof = false): void {
  const buf = Buffer.from(raw, 'latin1');
  for (let i = 0; i <= buf.length; i++) {
    check(parse(method, [buf.subarray(0, i), buf.subarray(i)], eof), i);
  }
  // And byte by byte.
  check(
    parse(
      method,
      [...buf].map((b) => Buffer.from([b])),
      eof,
    ),
    -1,
  );
}

describe('raw client response parser', () => {
  test('Content-Length body, split at every offset', () => {
    const raw = 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: 1\r\nX-A: 2\r\nSet-Cookie: a=1\r\n\r\nhello';
    atEveryOffset('GET', raw, (p, i) => {
      assert.equal(p.head?.statusCode, 200, `split ${i}`);
      assert.deepEqual(p.head?.headers['x-a'], ['1', '2']);
      assert.equal(p.head?.headers['set-cookie'], 'a=1');
      assert.equal(p.head?.keepAlive, true);
      assert.equal(p.body, 'hello');
      assert.equal(p.complete, true);
      assert.equal(p.extra, 0);
    });
  });

  test('chunked body with extension and trailers, split at every offset', () => {
    const raw = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\nX-T: 1\r\n\r\n';
    atEveryOffset('GET', raw, (p, i) => {
      assert.equal(p.body, 'hello world', `split ${i}`);
      assert.equal(p.complete, true, `split ${i}`);
      assert.equal(p.head?.keepAlive, true);
      assert.equal(p.extra, 0);
    });
  });

  test('close-delimited body ends at EOF and is not keep-alive', () => {
    const raw = 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end';
    atEveryOffset(
      'GET',
      raw,
      (p) => {
        assert.equal(p.body, 'until the end');
        assert.equal(p.complete, true);
        assert.equal(p.head?.keepAlive, false);
      },
      true,
    );
    assert.equal(parse('GET', [Buffer.from(raw)]).complete, false);
  });

  test('HEAD, 204 and 304 have no body whatever their fields say', () => {
    const head = parse('HEAD', [Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n')]);
    assert.equal(head.complete, true);
    assert.equal(head.head?.keepAlive, true);
    for (const status of ['204 No Content', '304 Not Modified']) {
      const p = parse('GET', [Buffer.from(`HTTP/1.1 ${status}\r\nContent-Length: 10\r\n\r\n`)]);
      assert.equal(p.complete, true);
      assert.equal(p.body, '');
    }
  });

  test('1xx interim responses are skipped', () => {
    const raw =
      'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok';
    atEveryOffset('POST', raw, (p) => {
      assert.equal(p.head?.statusCode, 201);
      assert.equal(p.head?.headers.link, undefined);
      assert.equal(p.body, 'ok');
      assert.equal(p.complete, true);
    });
  });

  test('Connection: close and HTTP/1.0 are not keep-alive', () => {
    assert.equal(parse('GET', [Buffer.from('HTTP/1.1 200 OK\r\nConnection: Close\r\nContent-Length: 0\r\n\r\n')]).head?.keepAlive, false);
    assert.equal(parse('GET', [Buffer.from('HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n')]).head?.keepAlive, false);
  });

  test('status lines: without a reason, lower-case names, odd spacing in values', () => {
    const p = parse('GET', [Buffer.from('HTTP/1.1 204\r\nX-Worker-Id: w1\r\nDate:\tnow \r\n\r\n')]);
    assert.equal(p.head?.statusCode, 204);
    assert.deepEqual(p.head?.headers, { 'x-worker-id': 'w1', date: 'now' });
    assert.equal(parse('GET', [Buffer.from('HTTP/1.0 404\r\n\r\n')]).head?.statusCode, 404);
    assert.equal(parse('GET', [Buffer.from('HTTP/1.1 599 Odd Reason: yes\r\nContent-Length: 0\r\n\r\n')]).head?.statusCode, 599);
  });

  test('bytes after a complete response are counted as extra', () => {
    assert.equal(parse('GET', [Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nab')]).extra, 1);
  });

  test('malformed responses fail with a coded error', () => {
    const bad = [
      'HTTP/2 200 OK\r\n\r\n',
      'HTTP/1.1 20 OK\r\n\r\n',
      'HTTP/1.1 2000 OK\r\n\r\n',
      'HTTP/1.1 099 OK\r\n\r\n',
      'HTTP/1.2 200 OK\r\n\r\n',
      'HTTP/1.1  200 OK\r\n\r\n',
      'HTTP/1.1 2x0 OK\r\n\r\n',
      'HTTP/1.1 200 O\rK\r\nContent-Length: 0\r\n\r\n',
      'HTTP/1.1 200 O\nK\r\nContent-Length: 0\r\n\r\n',
      'HTTP/1.1 200 OK\r\n: empty-name\r\n\r\n',
      'HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\n',
      'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n',
      'HTTP/1.1 200 OK\r\nNo colon\r\n\r\n',
      'HTTP/1.1 200 OK\r\nX-Bad: a\0b\r\nContent-Length: 0\r\n\r\n',
      'HTTP/1.1 200 OK\r\nX-Bad: a\rb\r\nContent-Length: 0\r\n\r\n',
      'HTTP/1.1 200 OK\r\nX-Bad: a\nb: c\r\nContent-Length: 0\r\n\r\n',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
      'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    ];
    for (const raw of bad) {
      assert.throws(() => parse('GET', [Buffer.from(raw)]), { code: 'HPE_INVALID_RESPONSE' }, raw);
    }
  });
});
