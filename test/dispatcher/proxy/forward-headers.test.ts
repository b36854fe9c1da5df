/**
 * The forwarder's request-target and header rewriting, as pure functions (the integration
 * tests in forward-engine.test.ts see the same through real sockets).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseResponseHead } from '../../../src/codec/response-head.js';
import { copyResponseHeaders, originForm, relayedLines, upstreamHead } from '../../../src/dispatcher/proxy/forward-headers.js';
import type { HttpRequest, HttpResponse } from '../../../src/server/types.js';
import { VIA_ENTRY } from '../../../src/dispatcher/loop-guard.js';

function request(target: string, rawPath: string, rawQuery: string, fields: [string, string][] = [], minor: 0 | 1 = 1): HttpRequest {
  const list = fields.flat();
  const rawHead = `GET ${target} HTTP/1.${minor}\r\n${fields.map(([n, v]) => `${n}: ${v}\r\n`).join('')}`;
  return {
    method: 'GET',
    target,
    rawPath,
    rawQuery,
    httpMinor: minor,
    fieldList: list,
    rawHead,
    remoteAddress: '::ffff:10.0.0.7',
    id: 'req-1',
  } as unknown as HttpRequest;
}

function fieldsOf(head: string): Array<[string, string]> {
  return head
    .split('\r\n')
    .slice(1)
    .filter((l) => l !== '')
    .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]);
}

test('originForm: origin-form as received, absolute-form reduced to path and query, * kept', () => {
  assert.equal(originForm(request('/a%20b?x=1', '/a%20b', 'x=1')), '/a%20b?x=1');
  assert.equal(originForm(request('http://example.test/p?q=2', '/p', 'q=2')), '/p?q=2');
  assert.equal(originForm(request('http://example.test', '/', '')), '/');
  // OPTIONS * is about the server, not a path: never turned into `/`.
  assert.equal(originForm(request('*', '*', '')), '*');
});

test('upstreamHead: the client head as it came when nothing needs to go, proxy fields appended', () => {
  const req = request('/p?q=1', '/p', 'q=1', [
    ['host', 'example.test'],
    ['accept', '*/*'],
  ]);
  const head = upstreamHead(req, 'w:1');
  assert.ok(head.startsWith(`${req.rawHead}x-forwarded-for: 10.0.0.7\r\n`), head);
  assert.deepEqual(fieldsOf(head), [
    ['host', 'example.test'],
    ['accept', '*/*'],
    ['x-forwarded-for', '10.0.0.7'],
    ['x-forwarded-proto', 'http'],
    ['forwarded', 'for=10.0.0.7;proto=http'],
    ['via', VIA_ENTRY],
    ['x-request-id', 'req-1'],
  ]);
  assert.match(VIA_ENTRY, /^1\.1 dhttp-[A-Za-z0-9_-]{16}$/);
  assert.ok(head.endsWith('\r\n') && !head.endsWith('\r\n\r\n'), 'no blank line: the caller adds framing');
});

test('upstreamHead: hop-by-hop and Connection-listed fields dropped, chains extended, HTTP/1.0 and absolute-form rewritten', () => {
  const req = request('http://example.test/x', '/x', '', [
    ['host', 'example.test'],
    ['connection', 'keep-alive, x-private'],
    ['keep-alive', 'timeout=5'],
    ['x-private', 'secret'],
    ['te', 'trailers'],
    ['content-length', '5'],
    ['x-forwarded-for', '192.0.2.1'],
    ['accept', '*/*'],
    ['via', '1.1 edge-proxy'],
  ]);
  const head = upstreamHead(req, 'w:1');
  assert.ok(head.startsWith('GET /x HTTP/1.1\r\n'), head);
  const lines = fieldsOf(head);
  assert.deepEqual(
    lines.map(([n]) => n),
    ['host', 'accept', 'via', 'x-forwarded-for', 'x-forwarded-proto', 'forwarded', 'via', 'x-request-id'],
  );
  // The client's Via line stays; this dispatcher's entry follows it (RFC 9110 §7.6.3).
  assert.equal(lines[2][1], '1.1 edge-proxy');
  assert.equal(lines[6][1], VIA_ENTRY);
  const fields = new Map(lines);
  assert.equal(fields.get('x-forwarded-for'), '192.0.2.1, 10.0.0.7');
  const old = upstreamHead(request('/y', '/y', '', [['host', 'h']], 0), 'w:1');
  assert.ok(old.startsWith('GET /y HTTP/1.1\r\n'), 'HTTP/1.0 clients are forwarded as HTTP/1.1');
  const hostless = upstreamHead(request('/y', '/y', '', [], 0), 'w:1');
  assert.equal(new Map(fieldsOf(hostless)).get('host'), 'w:1', 'a Host is added where HTTP/1.0 had none');
});

test('relayedLines: hop-by-hop, Connection-listed, Date and X-Request-Id cut; the rest as sent', () => {
  const text =
    'HTTP/1.1 200 OK\r\nX-Hop: 1\r\nContent-Type: application/json\r\nConnection: keep-alive, x-hop\r\n' +
    'Keep-Alive: timeout=5\r\nDate: x\r\nX-Request-Id: w\r\nSet-Cookie: a=1\r\nContent-Length: 2\r\nSet-Cookie: b=2\r\n';
  const head = parseResponseHead(text, 'GET', false);
  assert.equal(
    relayedLines(head),
    'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nSet-Cookie: a=1\r\nContent-Length: 2\r\nSet-Cookie: b=2\r\n',
  );
  const plain = parseResponseHead('HTTP/1.1 204 No Content\r\nServer: w\r\n', 'GET', false);
  assert.equal(relayedLines(plain), plain.text, 'nothing to cut: the text as it came');
});

test('copyResponseHeaders: end-to-end fields copied (repeats kept), hop-by-hop and engine-owned ones not', () => {
  const set = new Map<string, string | readonly string[]>();
  const res = {
    setHeader: (name: string, value: string | readonly string[]) => void set.set(name, value),
    getHeader: (name: string) => set.get(name),
  } as unknown as HttpResponse;
  const head = parseResponseHead(
    'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: close, x-hop\r\nx-hop: 1\r\ndate: x\r\nx-request-id: w\r\nset-cookie: a=1\r\nset-cookie: b=2\r\n',
    'GET',
    false,
  );
  copyResponseHeaders(head, res);
  assert.deepEqual(Object.fromEntries(set), { 'content-type': 'application/json', 'content-length': '2', 'set-cookie': ['a=1', 'b=2'] });
});
