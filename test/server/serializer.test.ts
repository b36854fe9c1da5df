/** The response serializer's fast paths, observed through a recording socket. */
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { test } from 'node:test';
import { isValidHost } from '../../src/codec/framing.js';
import { Response, type ResponseSink } from '../../src/server/response.js';
import { statusLine } from '../../src/codec/status.js';

/** Records writes and whether each happened while corked. */
function recordingSink(): { sink: ResponseSink; writes: Array<{ data: string | Buffer; corked: boolean }> } {
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
    keepAliveFor: () => true,
    keepAliveHint: '',
    constantLines: '',
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
