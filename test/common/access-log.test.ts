import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import fc from 'fast-check';
import { pino } from 'pino';
import {
  createAccessLog,
  createDispatcherAccessLog,
  formatAccessLine,
  formatDispatcherAccessLine,
  linePrefix,
  millisText,
  type AccessRecord,
  type DispatcherAccessRecord,
} from '../../src/common/access-log.js';

function capture(level: string, base: Record<string, unknown> = { pid: 7, role: 'worker' }) {
  const lines: string[] = [];
  const dest = new Writable({
    write(chunk, _e, cb) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      cb();
    },
  });
  const logger = pino({ level, base, timestamp: pino.stdTimeFunctions.isoTime }, dest).child({
    component: 'http',
  });
  return { logger, lines };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

function withoutTime(line: string): Record<string, unknown> {
  const o = JSON.parse(line) as Record<string, unknown>;
  delete o.time;
  return o;
}

const REC: AccessRecord = {
  id: 'r-1',
  client: '::ffff:127.0.0.1',
  method: 'GET',
  path: '/p "q"\\\u00e9',
  query: 'a=1&b="2"',
  status: 200,
  bytes: 24,
  ms: 0.1234567,
  userAgent: 'curl/8.5 "x"\u0001',
};

test('access lines are the JSON pino would write for the same fields', async () => {
  const a = capture('info');
  const b = capture('info');
  createAccessLog(a.logger)!(REC);
  b.logger.info(
    {
      id: REC.id,
      client: REC.client,
      method: REC.method,
      path: REC.path,
      query: REC.query,
      status: REC.status,
      bytes: REC.bytes,
      ms: 0.123,
      ua: REC.userAgent,
    },
    'request',
  );
  await tick();
  assert.deepEqual(withoutTime(a.lines[0]), withoutTime(b.lines[0]));
  assert.match(a.lines[0], /"time":"\d{4}-\d\d-\d\dT/);
});

test('durations print as the number rounded to the microsecond would', () => {
  const reference = (ms: number): string => String(Math.round(ms * 1000) / 1000);
  for (let us = 0; us <= 200_000; us++) assert.equal(millisText(us / 1000), reference(us / 1000));
  for (const ms of [0, -0, 0.0004, 0.0005, 0.0015, 1.9995, 2147483.647, 2147483.6475, 1e7, 1e21, -1.5, Number.NaN, Infinity]) {
    assert.equal(millisText(ms), reference(ms), String(ms));
  }
  fc.assert(
    fc.property(fc.double({ min: -10, max: 1e7, noNaN: true }), (ms) => millisText(ms) === reference(ms)),
    { numRuns: 20_000 },
  );
});

test('empty and repeated fields: the same JSON as without the shortcuts', () => {
  const prefix = { head: '{"level":30,"time":"', afterTime: '","pid":1,' };
  for (const rec of [
    { ...REC, query: '', userAgent: undefined },
    { ...REC, query: '', userAgent: '' },
    { ...REC, client: '10.0.0.1', path: '/ping' },
    { ...REC, client: '10.0.0.2', path: '/pong' },
    { ...REC, client: '', path: '/ping' },
  ]) {
    const o = JSON.parse(formatAccessLine(prefix, 'T', rec, 512)) as Record<string, unknown>;
    assert.deepEqual([o.client, o.path, o.query, o.ua], [rec.client, rec.path, rec.query, rec.userAgent ?? '']);
  }
});

test('no access log below info', () => {
  assert.equal(createAccessLog(capture('warn').logger), null);
  assert.equal(createDispatcherAccessLog(capture('warn').logger), null);
});

test('query and user agent are cut to maxField characters, marked, never inside a surrogate pair', () => {
  const { logger } = capture('info');
  const prefix = linePrefix(logger);
  const long = { ...REC, query: `q=${'x'.repeat(100)}`, userAgent: `${'a'.repeat(9)}😀tail` };
  const o = JSON.parse(formatAccessLine(prefix, 'T', long, 10)) as Record<string, unknown>;
  assert.equal(o.query, 'q=xxxxxxxx…');
  // The 10th unit is the first half of 😀: the cut goes before the pair.
  assert.equal(o.ua, 'aaaaaaaaa…');
  const exact = JSON.parse(formatAccessLine(prefix, 'T', { ...REC, query: 'x'.repeat(10), userAgent: undefined }, 10));
  assert.equal(exact.query, 'x'.repeat(10));
  assert.equal(exact.ua, '');
  assert.equal(exact.time, 'T');
});

const DREC: DispatcherAccessRecord = {
  id: 'abc.1',
  client: '203.0.113.9", "evil":"1',
  method: 'POST',
  target: '/countwords?top=5&x=%22',
  status: 200,
  bytesIn: 1234,
  bytesOut: 56,
  worker: 'w1',
  retries: 2,
  upstreamMs: 3.4567891,
  ms: 4.0000001,
  userAgent: 'wrk',
};

test('the dispatcher line is the JSON pino would write for the same fields (pure: the time is given)', async () => {
  const a = capture('info', { pid: 9, role: 'dispatcher' });
  const b = capture('info', { pid: 9, role: 'dispatcher' });
  const line = formatDispatcherAccessLine(linePrefix(a.logger), '2026-12-04T10:00:00.000Z', DREC, 512);
  assert.ok(line.endsWith('\n'));
  assert.equal(line, formatDispatcherAccessLine(linePrefix(a.logger), '2026-12-04T10:00:00.000Z', DREC, 512), 'pure');
  b.logger.info(
    {
      id: DREC.id,
      client: DREC.client,
      method: DREC.method,
      target: DREC.target,
      status: DREC.status,
      bytes_in: DREC.bytesIn,
      bytes_out: DREC.bytesOut,
      worker: DREC.worker,
      retries: DREC.retries,
      upstream_ms: 3.457,
      ms: 4,
      ua: DREC.userAgent,
    },
    'request',
  );
  await tick();
  const parsed = JSON.parse(line) as Record<string, unknown>;
  assert.equal(parsed.time, '2026-12-04T10:00:00.000Z');
  assert.equal(parsed.client, DREC.client, 'a hostile X-Forwarded-For stays one string');
  assert.deepEqual(withoutTime(line), withoutTime(b.lines[0]));
});

test('the dispatcher line without a worker, a cut target, and through its writer', async () => {
  const { logger, lines } = capture('info', { pid: 9, role: 'dispatcher' });
  const none = { ...DREC, worker: null, upstreamMs: null, retries: 3, status: 502, target: `/${'t'.repeat(600)}`, userAgent: undefined };
  const o = JSON.parse(formatDispatcherAccessLine(linePrefix(logger), 'T', none, 512)) as Record<string, unknown>;
  assert.equal(o.worker, null);
  assert.equal(o.upstream_ms, null);
  assert.equal((o.target as string).length, 513);
  assert.ok((o.target as string).endsWith('…'));
  assert.equal(o.ua, '');
  createDispatcherAccessLog(logger, { maxField: 20 })!(none);
  await tick();
  const written = JSON.parse(lines[0]) as Record<string, unknown>;
  assert.equal(written.target, `/${'t'.repeat(19)}…`);
  assert.equal(written.status, 502);
  assert.match(written.time as string, /^\d{4}-\d\d-\d\dT/);
});
