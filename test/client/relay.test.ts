/** ResponseRelay: the pass-through path's response reader (bytes in, rewritten head + raw body out). */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ResponseRelay } from '../../src/client/response-relay.js';

interface Relayed {
  status?: number;
  lines?: string;
  closeDelimited?: boolean;
  /** Body bytes as handed on (framing kept), latin1. */
  body: string;
  complete: boolean;
  reusable: boolean;
  keepAliveField?: string;
}

function relay(method: string, pieces: Buffer[], eof = false): Relayed {
  const out: Relayed = { body: '', complete: false, reusable: false };
  const r = new ResponseRelay(method, {
    onHead: (status, lines, body, complete, closeDelimited) => {
      assert.equal(out.status, undefined, 'one head');
      Object.assign(out, { status, lines, closeDelimited });
      if (body !== undefined) out.body += body.toString('latin1');
      out.complete = complete;
      return true;
    },
    onData: (data, complete) => {
      assert.notEqual(out.status, undefined, 'data after the head');
      assert.equal(out.complete, false, 'nothing after completion');
      out.body += data.toString('latin1');
      out.complete = complete;
      return true;
    },
  });
  for (const p of pieces) r.feed(p);
  if (eof) r.end();
  out.reusable = r.reusable;
  out.keepAliveField = r.keepAliveField;
  return out;
}

/** Every two-piece split, then byte by byte: the result must not depend on how bytes arrive. */
function atEveryOffset(method: string, raw: string, check: (r: Relayed, split: number) => void, eof = false): void {
  const buf = Buffer.from(raw, 'latin1');
  for (let i = 0; i <= buf.length; i++) check(relay(method, [buf.subarray(0, i), buf.subarray(i)], eof), i);
  check(
    relay(
      method,
      [...buf].map((b) => Buffer.from([b])),
      eof,
    ),
    -1,
  );
}

describe('response relay', () => {
  test('Content-Length body: hop-by-hop, Date and X-Request-Id cut, the rest kept in order', () => {
    const raw =
      'HTTP/1.1 200 OK\r\nX-Worker-Id: w1\r\nConnection: keep-alive\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n' +
      'Date: Thu, 03 Dec 2026 09:00:00 GMT\r\nX-Request-Id: abc\r\nKeep-Alive: timeout=5\r\nSet-Cookie: a=1\r\n\r\nhello';
    atEveryOffset('GET', raw, (r, i) => {
      assert.equal(r.status, 200, `split ${i}`);
      assert.equal(r.lines, 'HTTP/1.1 200 OK\r\nX-Worker-Id: w1\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nSet-Cookie: a=1\r\n');
      assert.equal(r.body, 'hello');
      assert.equal(r.complete, true);
      assert.equal(r.closeDelimited, false);
      assert.equal(r.reusable, true);
      assert.equal(r.keepAliveField, ' timeout=5');
    });
  });

  test('a chunked body passes with its framing; its end is found', () => {
    const body = '5;x=y\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\nX-T: 1\r\n\r\n';
    const raw = `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${body}`;
    atEveryOffset('GET', raw, (r, i) => {
      assert.equal(r.lines, 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n', `split ${i}`);
      assert.equal(r.body, body, `split ${i}`);
      assert.equal(r.complete, true, `split ${i}`);
      assert.equal(r.reusable, true);
    });
  });

  test('fields named by Connection go too; Connection: close makes the connection single-use', () => {
    const raw = 'HTTP/1.1 200 OK\r\nX-Secret: 1\r\nConnection: close, X-Secret\r\nContent-Length: 2\r\n\r\nok';
    const r = relay('GET', [Buffer.from(raw)]);
    assert.equal(r.lines, 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n');
    assert.equal(r.body, 'ok');
    assert.equal(r.complete, true);
    assert.equal(r.reusable, false);
  });

  test('close-delimited body: announced as such, complete at EOF only, never reusable', () => {
    const raw = 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end';
    atEveryOffset(
      'GET',
      raw,
      (r) => {
        assert.equal(r.closeDelimited, true);
        assert.equal(r.body, 'until the end');
        assert.equal(r.complete, true);
        assert.equal(r.reusable, false);
      },
      true,
    );
    assert.equal(relay('GET', [Buffer.from(raw)]).complete, false);
  });

  test('HEAD, 204 and 304 have no body whatever their fields say', () => {
    const head = relay('HEAD', [Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n')]);
    assert.equal(head.complete, true);
    assert.equal(head.lines, 'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n');
    assert.equal(head.reusable, true);
    for (const status of ['204 No Content', '304 Not Modified']) {
      const r = relay('GET', [Buffer.from(`HTTP/1.1 ${status}\r\nContent-Length: 10\r\n\r\n`)]);
      assert.equal(r.complete, true);
      assert.equal(r.body, '');
    }
  });

  test('interim 1xx heads are not handed on', () => {
    const raw = 'HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';
    atEveryOffset('GET', raw, (r, i) => {
      assert.equal(r.status, 200, `split ${i}`);
      assert.equal(r.body, 'ok');
      assert.equal(r.complete, true);
    });
  });

  test('bytes after a complete response make the connection unusable', () => {
    const r = relay('GET', [Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA')]);
    assert.equal(r.body, 'ok');
    assert.equal(r.complete, true);
    assert.equal(r.reusable, false);
  });

  test('HTTP/1.0 responses are not reused', () => {
    const r = relay('GET', [Buffer.from('HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok')]);
    assert.equal(r.complete, true);
    assert.equal(r.reusable, false);
  });

  test('malformed responses are refused with a coded error', () => {
    const bad = [
      'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n', // both framings
      'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok', // differing lengths
      'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n',
      'HTTP/1.1 200 OK\r\nX-A: a\nb\r\n\r\n', // bare LF
      'HTTP/1.1 200 OK\r\nX-A: a\0b\r\n\r\n',
      'HTTP/1.1 200 OK\r\nno colon here\r\n\r\n',
      'HTTP/2 200 OK\r\n\r\n',
      'HTTP/1.1 99 Odd\r\n\r\n',
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
    ];
    for (const raw of bad) {
      assert.throws(
        () => relay('GET', [Buffer.from(raw, 'latin1')]),
        (err: Error & { code?: string }) => err.code === 'HPE_INVALID_RESPONSE',
        JSON.stringify(raw),
      );
    }
  });

  test('a head larger than the limit is refused before it is complete', () => {
    const big = Buffer.from(`HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(70 * 1024)}`);
    assert.throws(() => relay('GET', [big]), /response head too large/);
  });

  test('property: any end-to-end fields and any body survive any split, hop-by-hop ones never do', () => {
    const name = fc.stringMatching(/^X-[A-Za-z0-9-]{1,12}$/);
    const value = fc.stringMatching(/^[!-~]([ -~]{0,20}[!-~])?$/);
    const hop = fc.constantFrom(
      'Connection: keep-alive',
      'Keep-Alive: timeout=5',
      'Date: Thu, 03 Dec 2026 09:00:00 GMT',
      'X-Request-Id: r1',
      'Proxy-Connection: x',
      'TE: trailers',
      'Trailer: X-T',
      'Upgrade: h2c',
    );
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.tuple(name, value).map(([n, v]) => ({ keep: true, line: `${n}: ${v}` })),
            hop.map((line) => ({ keep: false, line })),
          ),
          { maxLength: 8 },
        ),
        fc.uint8Array({ maxLength: 300 }),
        fc.boolean(),
        fc.nat(),
        (fields, bodyBytes, chunked, cut) => {
          const body = Buffer.from(bodyBytes).toString('latin1');
          const framing = chunked ? 'Transfer-Encoding: chunked' : `Content-Length: ${body.length}`;
          const wire = chunked ? `${body.length > 0 ? `${body.length.toString(16)}\r\n${body}\r\n` : ''}0\r\n\r\n` : body;
          const raw = `HTTP/1.1 200 OK\r\n${fields.map((f) => `${f.line}\r\n`).join('')}${framing}\r\n\r\n${wire}`;
          const buf = Buffer.from(raw, 'latin1');
          const at = cut % (buf.length + 1);
          const r = relay('GET', [buf.subarray(0, at), buf.subarray(at)]);
          const kept = fields
            .filter((f) => f.keep)
            .map((f) => `${f.line}\r\n`)
            .join('');
          assert.equal(r.lines, `HTTP/1.1 200 OK\r\n${kept}${framing}\r\n`);
          assert.equal(r.body, wire);
          assert.equal(r.complete, true);
        },
      ),
      { numRuns: 300 },
    );
  });

  test('feed returns what follows a complete response (the next pipelined one), whatever the split', () => {
    const first = {
      length: 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc',
      chunked: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n',
      empty: 'HTTP/1.1 204 No Content\r\n\r\n',
      interim: 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nz',
    };
    const next = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi';
    for (const [name, raw] of Object.entries(first)) {
      const buf = Buffer.from(raw + next, 'latin1');
      for (let i = 0; i <= buf.length; i++) {
        const r = new ResponseRelay('GET', { onHead: () => true, onData: () => true });
        let rest: Buffer | undefined;
        let after = '';
        for (const piece of [buf.subarray(0, i), buf.subarray(i)]) {
          if (r.done) after += piece.toString('latin1');
          else rest = r.feed(piece);
          if (rest !== undefined) {
            after += rest.toString('latin1');
            rest = undefined;
          }
        }
        assert.equal(r.done, true, `${name} split ${i}`);
        assert.equal(r.keepsAlive, true);
        // Bytes after it make it not reusable as a single exchange - unless they came in a later read.
        assert.equal(r.reusable, i === Buffer.byteLength(raw, 'latin1'), `${name} split ${i}`);
        assert.equal(after, next, `${name} split ${i}`);
      }
    }
    const r = new ResponseRelay('GET', { onHead: () => true, onData: () => true });
    assert.equal(r.feed(Buffer.from(first.length, 'latin1')), undefined, 'nothing after it');
    assert.equal(r.reusable, true);
  });
});
