import assert from 'node:assert/strict';
import { createServer, type RequestListener, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { bench, runBench } from '../../../src/cli/bench/bench.js';
import { parseAs } from '../../../src/cli/options.js';

async function listen(handler: RequestListener): Promise<{ server: Server; url: string }> {
  const server = createServer({ keepAliveTimeout: 5_000 }, handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** Collects a stream's text. */
function sink(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (c: Buffer) => (text += c.toString()));
  return { stream, text: () => text };
}

describe('dhttp bench', () => {
  let server: Server;
  let base: string;
  const seen = { requests: 0, bodies: [] as string[], headers: [] as string[] };

  before(async () => {
    ({ server, url: base } = await listen((req, res) => {
      seen.requests++;
      const path = req.url ?? '/';
      if (path.startsWith('/body')) {
        let body = '';
        req.on('data', (c: Buffer) => (body += c.toString()));
        req.on('end', () => {
          seen.bodies.push(`${req.method} ${body}`);
          seen.headers.push(String(req.headers['x-test']));
          res.end('ok');
        });
        return;
      }
      if (path === '/chunked') {
        res.write('a'.repeat(5000));
        setImmediate(() => res.end('b'.repeat(3)));
        return;
      }
      if (path === '/close') {
        res.setHeader('Connection', 'close');
        res.end('bye');
        return;
      }
      if (path === '/error') {
        res.statusCode = 500;
        res.end('{"error":{}}');
        return;
      }
      if (path === '/flaky') {
        // Every other request is answered by cutting the connection.
        if (seen.requests % 2 === 0) req.socket.destroy();
        else res.end('fine');
        return;
      }
      if (path === '/hang') return; // never answers
      res.setHeader('Content-Length', '2');
      res.end('ok');
    }));
  });
  after(() => close(server));

  it('counts exactly -n requests over keep-alive connections', async () => {
    const before = seen.requests;
    const r = await bench(parseAs('bench', [`${base}/ok`, '-n', '40', '-c', '4']));
    assert.equal(r.requests, 40);
    assert.equal(r.responses, 40);
    assert.deepEqual(r.statuses, { '200': 40 });
    assert.equal(r.errors.total, 0);
    assert.equal(seen.requests - before, 40);
    assert.ok(r.latencyUs.p50 > 0 && r.latencyUs.p50 <= r.latencyUs.p99 && r.latencyUs.p99 <= r.latencyUs.max);
    assert.ok(r.bytesRead > 40 * 2);
    assert.ok(r.requestsPerSecond > 0);
  });

  it('reads chunked and close-delimited responses and reconnects on Connection: close', async () => {
    const chunked = await bench(parseAs('bench', [`${base}/chunked`, '-n', '10', '-c', '2']));
    assert.deepEqual(chunked.statuses, { '200': 10 });
    assert.equal(chunked.errors.total, 0);
    assert.ok(chunked.bytesRead >= 10 * 5003);
    const closing = await bench(parseAs('bench', [`${base}/close`, '-n', '10', '-c', '2']));
    assert.deepEqual(closing.statuses, { '200': 10 });
    assert.equal(closing.errors.total, 0);
    const head = await bench(parseAs('bench', [`${base}/chunked`, '-n', '6', '-c', '2', '--method', 'HEAD']));
    assert.deepEqual(head.statuses, { '200': 6 });
    assert.equal(head.errors.total, 0);
  });

  it('sends --body and --header', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dhttp-bench-'));
    try {
      const file = join(dir, 'body.json');
      await writeFile(file, '{"number":7}');
      seen.bodies.length = 0;
      seen.headers.length = 0;
      const r = await bench(
        parseAs('bench', [`${base}/body`, '-n', '3', '-c', '1', '--method', 'POST', '--body', file, '-H', 'X-Test: yes']),
      );
      assert.deepEqual(r.statuses, { '200': 3 });
      assert.deepEqual(seen.bodies, Array(3).fill('POST {"number":7}'));
      assert.deepEqual(seen.headers, ['yes', 'yes', 'yes']);
      await assert.rejects(bench(parseAs('bench', [`${base}/body`, '-n', '1', '--body', join(dir, 'missing')])), {
        name: 'ConfigError',
        message: /^invalid --body ".*missing": must be a readable file \(ENOENT\)$/,
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('counts error statuses', async () => {
    const r = await bench(parseAs('bench', [`${base}/error`, '-n', '8', '-c', '2']));
    assert.equal(r.requests, 8);
    assert.deepEqual(r.statuses, { '500': 8 });
    assert.deepEqual(r.errors.byStatus, { '500': 8 });
    assert.deepEqual(r.errors.byKind, {});
    assert.equal(r.errors.total, 8);
  });

  it('counts connections the server cuts, and carries on', async () => {
    const r = await bench(parseAs('bench', [`${base}/flaky`, '-n', '10', '-c', '1']));
    assert.equal(r.requests, 10);
    const cut = Object.values(r.errors.byKind).reduce((a, b) => a + b, 0);
    assert.ok(cut >= 1, JSON.stringify(r.errors));
    assert.ok(
      Object.keys(r.errors.byKind).every((k) => k === 'closed' || k === 'reset'),
      JSON.stringify(r.errors),
    );
    assert.equal(r.responses + cut, 10);
  });

  it('counts refused connections and timeouts', async () => {
    const dead = createNetServer();
    await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve));
    const port = (dead.address() as AddressInfo).port;
    await new Promise<void>((resolve) => dead.close(() => resolve()));
    const refused = await bench(parseAs('bench', [`http://127.0.0.1:${port}/`, '-n', '3', '-c', '1']));
    assert.deepEqual(refused.errors.byKind, { connect_refused: 3 });
    assert.equal(refused.responses, 0);

    const timedOut = await bench(parseAs('bench', [`${base}/hang`, '-n', '2', '-c', '2', '--timeout', '100ms']));
    assert.deepEqual(timedOut.errors.byKind, { timeout: 2 });
  });

  it('-d stops on time and warm-up is not recorded', async () => {
    const before = seen.requests;
    const r = await bench(parseAs('bench', [`${base}/ok`, '-d', '300ms', '-c', '2', '--warmup', '100ms']));
    assert.ok(r.durationMs >= 290 && r.durationMs < 1000, String(r.durationMs));
    assert.ok(r.requests > 0);
    assert.ok(seen.requests - before > r.requests, 'warm-up requests reached the server but were not counted');
  });

  it('--json prints one object with the documented shape', async () => {
    const out = sink();
    const err = sink();
    const code = await runBench(parseAs('bench', [`${base}/error`, '-n', '4', '-c', '2', '--json']), {
      stdout: out.stream,
      stderr: err.stream,
    });
    assert.equal(code, 0);
    const lines = out.text().trim().split('\n');
    assert.equal(lines.length, 1);
    const json = JSON.parse(lines[0]) as Record<string, unknown>;
    assert.deepEqual(Object.keys(json), [
      'url',
      'method',
      'connections',
      'threads',
      'pipeline',
      'rate',
      'duration_ms',
      'requests',
      'responses',
      'requests_per_second',
      'bytes_read',
      'latency_us',
      'statuses',
      'errors',
      'series',
    ]);
    assert.deepEqual(Object.keys(json.latency_us as object), ['min', 'mean', 'stdev', 'p50', 'p90', 'p99', 'p999', 'max']);
    assert.deepEqual(json.errors, { total: 4, by_status: { '500': 4 }, by_kind: {} });
    assert.equal(json.requests, 4);
    assert.match(err.text(), /^dhttp bench: GET .*\/error, 2 connections, 4 requests\n/);
  });

  it('the text report names rate, percentiles and errors', async () => {
    const out = sink();
    const err = sink();
    await runBench(parseAs('bench', [`${base}/ok`, '-n', '5', '-c', '1']), { stdout: out.stream, stderr: err.stream });
    assert.match(out.text(), /req\/s/);
    assert.match(out.text(), /p50 .* p90 .* p99 .* max /);
    assert.match(out.text(), /statuses {2}200 5/);
    assert.match(out.text(), /errors {4}0 /);
  });
});

describe('response framing', () => {
  it('handles responses split at every byte', async () => {
    const { ResponseParser } = await import('../../../src/cli/bench/parser.js');
    const wire = Buffer.from(
      'HTTP/1.1 100 Continue\r\n\r\n' +
        'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=1\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\nT: 1\r\n\r\n' +
        'HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\n\r\nnope' +
        'HTTP/1.1 204 No Content\r\n\r\n' +
        'HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n',
    );
    for (let cut = 1; cut < wire.length; cut++) {
      const got: string[] = [];
      const p = new ResponseParser((r) => got.push(`${r.status}/${r.bodyBytes}/${r.keepAlive}`));
      p.execute(wire.subarray(0, cut));
      p.execute(wire.subarray(cut));
      assert.deepEqual(got, ['200/19/true', '404/4/true', '204/0/true', '200/0/false'], `cut at ${cut}`);
      assert.ok(p.idle);
    }
  });

  it('ends a close-delimited body at end of stream and rejects garbage', async () => {
    const { ResponseParser, ResponseParseError } = await import('../../../src/cli/bench/parser.js');
    const got: number[] = [];
    const p = new ResponseParser((r) => got.push(r.bodyBytes));
    p.execute(Buffer.from('HTTP/1.1 200 OK\r\n\r\nhello'));
    assert.deepEqual(got, []);
    assert.equal(p.end(), true);
    assert.deepEqual(got, [5]);
    const bad = new ResponseParser(() => {});
    assert.throws(() => bad.execute(Buffer.from('SMTP ready\r\n\r\n')), ResponseParseError);
  });
});
