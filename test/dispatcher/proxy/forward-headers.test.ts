/**
 * The forwarder's request-target and header rewriting, as pure functions (the integration
 * tests in forward-engine.test.ts see the same through real sockets).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HttpRequest, HttpResponse } from '../../../src/server/types.js';
import { copyResponseHeaders, originForm, upstreamRequestHeaders } from '../../../src/dispatcher/proxy/forward-headers.js';
import { VIA_ENTRY } from '../../../src/dispatcher/loop-guard.js';

function request(target: string, rawPath: string, rawQuery: string, fields: [string, string][] = []): HttpRequest {
  const headers = new Map(fields);
  return { target, rawPath, rawQuery, headers, remoteAddress: '::ffff:10.0.0.7', id: 'req-1' } as unknown as HttpRequest;
}

test('originForm: origin-form as received, absolute-form reduced to path and query, * kept', () => {
  assert.equal(originForm(request('/a%20b?x=1', '/a%20b', 'x=1')), '/a%20b?x=1');
  assert.equal(originForm(request('http://example.test/p?q=2', '/p', 'q=2')), '/p?q=2');
  assert.equal(originForm(request('http://example.test', '/', '')), '/');
  // OPTIONS * is about the server, not a path: never turned into `/`.
  assert.equal(originForm(request('*', '*', '')), '*');
});

test('upstreamRequestHeaders: hop-by-hop and Connection-listed fields dropped, proxy fields added', () => {
  const req = request('/', '/', '', [
    ['host', 'example.test'],
    ['connection', 'keep-alive, x-private'],
    ['keep-alive', 'timeout=5'],
    ['x-private', 'secret'],
    ['te', 'trailers'],
    ['x-forwarded-for', '192.0.2.1'],
    ['accept', '*/*'],
    ['via', '1.1 edge-proxy'],
  ]);
  const out = upstreamRequestHeaders(req);
  const pairs = new Map<string, string>();
  for (let i = 0; i < out.length; i += 2) pairs.set(out[i], out[i + 1]);
  assert.deepEqual(
    out.filter((_, i) => i % 2 === 0),
    ['host', 'accept', 'via', 'x-forwarded-for', 'x-forwarded-proto', 'forwarded', 'via', 'x-request-id'],
  );
  // The client's Via line stays; this dispatcher's entry follows it (RFC 9110 §7.6.3).
  assert.equal(out[5], '1.1 edge-proxy');
  assert.equal(pairs.get('via'), VIA_ENTRY);
  assert.match(VIA_ENTRY, /^1\.1 dhttp-[A-Za-z0-9_-]{16}$/);
  assert.equal(pairs.get('x-forwarded-for'), '192.0.2.1, 10.0.0.7');
  assert.equal(pairs.get('forwarded'), 'for=10.0.0.7;proto=http');
  assert.equal(pairs.get('x-request-id'), 'req-1');
});

test('copyResponseHeaders: end-to-end fields copied, hop-by-hop and engine-owned ones not', () => {
  const set = new Map<string, string | string[]>();
  const res = { setHeader: (name: string, value: string | string[]) => void set.set(name, value) } as unknown as HttpResponse;
  copyResponseHeaders(
    {
      'content-type': 'application/json',
      'content-length': '2',
      connection: 'close, x-hop',
      'x-hop': '1',
      date: 'x',
      'x-request-id': 'w',
      'set-cookie': ['a=1', 'b=2'],
    },
    res,
  );
  assert.deepEqual(Object.fromEntries(set), { 'content-type': 'application/json', 'content-length': '2', 'set-cookie': ['a=1', 'b=2'] });
});
