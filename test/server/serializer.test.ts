/** The response serializer's fast paths, observed through a recording socket. */
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { test } from 'node:test';
import fc from 'fast-check';
import { dateLine } from '../../src/codec/http-date.js';
import { isValidHost } from '../../src/codec/framing.js';
import { Response, type ResponseSink } from '../../src/server/response.js';
import { statusLine } from '../../src/codec/status.js';

/** Records writes and whether each happened while corked. */
function recordingSink(keep: { alive: boolean; hint: string; constantLines: string } = { alive: true, hint: '', constantLines: '' }): {
  sink: ResponseSink;
  writes: Array<{ data: string | Buffer; corked: boolean }>;
} {
  let corks = 0;
  const writes: Array<{ data: string | Buffer; corked: boolean }> = [];
  const socket = {
    destroyed: false,
    writableNeedDrain: false,
    cork: () => void corks++,
    uncork: () => void corks--,
  } as unknown as Socket;
  const sink: ResponseSink = {
    socket,
    keepAliveFor: () => keep.alive,
    keepAliveHint: keep.hint,
    constantLines: keep.constantLines,
    output: (data) => {
      writes.push({ data, corked: corks > 0 });
      return true;
    },
    outputLatin1: (text) => {
      writes.push({ data: text, corked: corks > 0 });
      return true;
    },
    responseFinished: () => {},
  };
  return { sink, writes };
}

test('a whole response with a large or binary Buffer body is written corked (one writev with its head)', () => {
  for (const body of [Buffer.from([0x68, 0xff, 0x00, 0x80]), Buffer.alloc(4097, 0x61)]) {
    const { sink, writes } = recordingSink();
    const res = new Response(sink, false, 1, 'id-1');
    res.send(200, body, 'application/octet-stream');
    assert.equal(writes.length, 2);
    assert.ok(writes.every((w) => w.corked));
    assert.match(
      String(writes[0].data),
      new RegExp(
        `^HTTP\\/1\\.1 200 OK\r\nContent-Type: application\\/octet-stream\r\nContent-Length: ${body.length}\r\nDate: .+ GMT\r\nX-Request-Id: id-1\r\n\r\n$`,
      ),
    );
    assert.equal(writes[1].data, body, 'the bytes themselves, not a re-encoding');
  }
});

test('a small ASCII Buffer body joins its head in one plain write', () => {
  const { sink, writes } = recordingSink();
  new Response(sink, false, 1, 'id-3').send(200, Buffer.from('{"status":"ok"}'), 'application/json');
  assert.equal(writes.length, 1);
  assert.equal(typeof writes[0].data, 'string');
  assert.match(String(writes[0].data), /^HTTP\/1\.1 200 OK\r\n[\s\S]*Content-Length: 15\r\n[\s\S]*\r\n\r\n\{"status":"ok"\}$/);
});

test('a whole response with a string body is one write', () => {
  const { sink, writes } = recordingSink();
  new Response(sink, false, 0, 'id-2').send(404, 'nope');
  assert.equal(writes.length, 1);
  assert.match(String(writes[0].data), /^HTTP\/1\.1 404 Not Found\r\n[\s\S]*Connection: keep-alive\r\n\r\nnope$/);
});

test('status lines are cached per code and odd codes still serialize', () => {
  assert.equal(statusLine(200), 'HTTP/1.1 200 OK\r\n');
  assert.equal(statusLine(200), statusLine(200));
  assert.equal(statusLine(299), 'HTTP/1.1 299 Unknown\r\n');
});

test('the Host check accepts RFC 3986 hosts and ports only', () => {
  for (const h of ['', 'example.com', 'a.b:80', '127.0.0.1:18090', '[::1]', '[::1]:8080', 'x:', "a!$&'()*+,;=%-._~"])
    assert.ok(isValidHost(h), h);
  for (const h of ['[]', '[::1', '::1', 'a:b', 'a b', 'a/b', 'a@b', '[::1]x', 'a:1:2', 'é.com', '[g::1]']) assert.ok(!isValidHost(h), h);
});

type Answer = {
  status: number;
  type: string | undefined;
  body: string;
  alive: boolean;
  minor: 0 | 1;
  hint: string;
  constantLines: string;
};

test('plain heads (kept between responses) change with every part they are made of', async () => {
  const answer = fc.record({
    status: fc.constantFrom(200, 201, 404, 204, 503),
    type: fc.constantFrom(undefined, 'application/json; charset=utf-8', 'text/plain'),
    body: fc.constantFrom('', 'x', 'nope', '{"status":"ok","load":0}', 'é'),
    alive: fc.boolean(),
    minor: fc.constantFrom<0 | 1>(0, 1),
    hint: fc.constantFrom('', 'Keep-Alive: timeout=5\r\n', 'Keep-Alive: timeout=9\r\n'),
    constantLines: fc.constantFrom('', 'X-Worker-Id: w1\r\n', 'X-Worker-Id: w2\r\n'),
  });
  const check = (a: Answer, id: string): void => {
    const { sink, writes } = recordingSink(a);
    new Response(sink, false, a.minor, id).send(a.status, a.body, a.type);
    const hasBody = a.status !== 204;
    const length = hasBody ? `Content-Length: ${Buffer.byteLength(a.body)}\r\n` : '';
    const type = a.type === undefined ? 'Content-Type: text/plain; charset=utf-8\r\n' : `Content-Type: ${a.type}\r\n`;
    const conn = !a.alive ? 'Connection: close\r\n' : a.minor === 0 ? `Connection: keep-alive\r\n${a.hint}` : a.hint;
    const head = `${statusLine(a.status)}${type}${length}${a.constantLines}${dateLine()}X-Request-Id: ${id}\r\n${conn}\r\n`;
    assert.equal(writes.length, 1);
    assert.equal(writes[0].data, hasBody ? head + a.body : head);
  };
  fc.assert(
    fc.property(fc.array(answer, { minLength: 2, maxLength: 12 }), (answers) => {
      answers.forEach((a, i) => check(a, `id-${i}`));
    }),
    { numRuns: 300 },
  );
  // The Date line changes once a second: a head kept from before carries the new one.
  const a = { status: 200, type: undefined, body: 'x', alive: true, minor: 1 as const, hint: '', constantLines: '' };
  check(a, 'before');
  const before = dateLine();
  while (dateLine() === before) await new Promise((resolve) => setTimeout(resolve, 20));
  check(a, 'after');
});

test('relayed heads (their kept middle and end) change with every part they are made of', async () => {
  const relayed = fc.record({
    lines: fc.constantFrom('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n', 'HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n'),
    alive: fc.boolean(),
    hint: fc.constantFrom('', 'Keep-Alive: timeout=5\r\n'),
    constantLines: fc.constantFrom('', 'X-Dispatcher: d1\r\n', 'X-Dispatcher: d2\r\n'),
  });
  const check = (r: { lines: string; alive: boolean; hint: string; constantLines: string }, id: string): void => {
    const { sink, writes } = recordingSink(r);
    new Response(sink, false, 1, id).relayHead(200, r.lines, Buffer.from('ok'), true, false);
    const conn = r.alive ? r.hint : 'Connection: close\r\n';
    assert.equal(writes.length, 1);
    assert.equal(writes[0].data, `${r.lines}${r.constantLines}${dateLine()}X-Request-Id: ${id}\r\n${conn}\r\nok`);
  };
  fc.assert(
    fc.property(fc.array(relayed, { minLength: 2, maxLength: 12 }), (all) => {
      all.forEach((r, i) => check(r, `r-${i}`));
    }),
    { numRuns: 200 },
  );
  const r = { lines: 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n', alive: true, hint: '', constantLines: '' };
  check(r, 'before');
  const before = dateLine();
  while (dateLine() === before) await new Promise((resolve) => setTimeout(resolve, 20));
  check(r, 'after');
});

test('heads with handler-set fields end with the same connection lines as plain ones', () => {
  const hint = 'Keep-Alive: timeout=5\r\n';
  for (const [alive, minor, end] of [
    [true, 1, hint],
    [true, 0, `Connection: keep-alive\r\n${hint}`],
    [false, 1, 'Connection: close\r\n'],
    [false, 0, 'Connection: close\r\n'],
  ] as const) {
    const { sink, writes } = recordingSink({ alive, hint, constantLines: '' });
    new Response(sink, false, minor, 'id-h').setHeader('X-Custom', 'v').send(200, 'ok');
    assert.equal(writes.length, 1);
    assert.match(String(writes[0].data), new RegExp(`^HTTP/1\\.1 200 OK\r\nX-Custom: v\r\n[\\s\\S]*X-Request-Id: id-h\r\n${end}\r\nok$`));
  }
});
