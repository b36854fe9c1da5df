/**
 * Acceptance (issue 3, point 2): every request of a representative set, delivered split
 * at every byte offset, gives the same responses as delivered in one write - and those
 * are the right ones: each case names its statuses, so a request wrongly accepted (or
 * wrongly refused) both ways still fails.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { HttpServer } from '../../src/server/server.js';
import { sendRaw, type RawResponse } from './helpers/raw-client.js';
import { startTestServer } from './helpers/test-app.js';

const H = 'Host: localhost\r\n';
const CASES: Record<string, { bytes: string; statuses: number[]; head?: number[] }> = {
  'simple GET': { bytes: `GET /ping HTTP/1.1\r\n${H}\r\n`, statuses: [200] },
  'query with escapes': { bytes: `GET /reverse?text=h%C3%A9llo%20w HTTP/1.1\r\n${H}X-Request-Id: abc-1\r\n\r\n`, statuses: [200] },
  'content-length body': { bytes: `POST /countwords HTTP/1.1\r\n${H}Content-Length: 17\r\n\r\nthe cat the café!`, statuses: [200] },
  'chunked body, extension, trailer': {
    bytes: `POST /countwords HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n4;x=y\r\nab c\r\nA\r\n d\u00c3\u00a9 ab ab\r\n0\r\nX-T: 1\r\n\r\n`,
    statuses: [200],
  },
  'two pipelined': { bytes: `GET /reverse?text=one HTTP/1.1\r\n${H}\r\nGET /reverse?text=two HTTP/1.1\r\n${H}\r\n`, statuses: [200, 200] },
  'body then pipelined GET': {
    bytes: `POST /countwords HTTP/1.1\r\n${H}Content-Length: 5\r\n\r\na b aGET /ping HTTP/1.1\r\n${H}\r\n`,
    statuses: [200, 200],
  },
  'HEAD then GET': { bytes: `HEAD /ping HTTP/1.1\r\n${H}\r\nGET /ping HTTP/1.1\r\n${H}\r\n`, statuses: [200, 200], head: [0] },
  '404 with drained body': {
    bytes: `POST /nope HTTP/1.1\r\n${H}Content-Length: 3\r\n\r\nxyzGET /ping HTTP/1.1\r\n${H}\r\n`,
    statuses: [404, 200],
  },
  'HTTP/1.0 keep-alive': { bytes: 'GET /ping HTTP/1.0\r\nConnection: keep-alive\r\n\r\n', statuses: [200] },
  'leading CRLF': { bytes: `\r\nGET /ping HTTP/1.1\r\n${H}\r\n`, statuses: [200] },
  'bad header (400)': { bytes: `GET /ping HTTP/1.1\r\n${H}Bad Name: x\r\n\r\n`, statuses: [400] },
  'smuggling CL+TE (400)': {
    bytes: `POST /countwords HTTP/1.1\r\n${H}Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
    statuses: [400],
  },
};

function normalize(rs: RawResponse[]): unknown {
  return rs.map((r) => {
    const { date: _d, 'x-request-id': id, ...headers } = r.headers;
    return {
      status: r.status,
      headers,
      body: r.body.toString('latin1').replace(/"request_id":"[^"]*"/, '"request_id":"*"'),
      id: id?.startsWith('abc') ? id : 'generated',
    };
  });
}

let server: HttpServer;
let port: number;
before(async () => ({ server, port } = await startTestServer()));
after(() => server.close());

for (const [name, c] of Object.entries(CASES)) {
  test(`split at every offset: ${name}`, async () => {
    const bytes = Buffer.from(c.bytes, 'latin1');
    const head = (i: number) => (c.head ?? []).includes(i);
    const whole = await sendRaw(port, [bytes], { responses: c.statuses.length, head });
    assert.deepEqual(
      whole.responses.map((r) => r.status),
      c.statuses,
      'whole',
    );
    const expected = normalize(whole.responses);
    const offsets = Array.from({ length: bytes.length - 1 }, (_, i) => i + 1);
    // A few connections at a time; each split is two writes a few ms apart.
    for (let i = 0; i < offsets.length; i += 16) {
      await Promise.all(
        offsets.slice(i, i + 16).map(async (k) => {
          const ex = await sendRaw(port, [bytes.subarray(0, k), bytes.subarray(k)], { responses: c.statuses.length, head, pauseMs: 3 });
          assert.deepEqual(normalize(ex.responses), expected, `split at ${k}`);
        }),
      );
    }
  });
}
