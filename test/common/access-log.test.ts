import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { pino } from 'pino';
import { createAccessLog } from '../../src/common/access-log.js';

function capture(level: string) {
  const lines: string[] = [];
  const dest = new Writable({
    write(chunk, _e, cb) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      cb();
    },
  });
  const logger = pino({ level, base: { pid: 7, role: 'worker' }, timestamp: pino.stdTimeFunctions.isoTime }, dest).child({
    component: 'http',
  });
  return { logger, lines };
}

test('access lines are the JSON pino would write for the same fields', async () => {
  const a = capture('info');
  const b = capture('info');
  const rec = { id: 'r-1', method: 'GET', path: '/p "q"\\\u00e9', status: 200, bytes: 24, ms: 0.1234567 };
  createAccessLog(a.logger)!(rec);
  b.logger.info({ id: rec.id, method: rec.method, path: rec.path, status: rec.status, bytes: rec.bytes, ms: 0.123 }, 'request');
  await new Promise((r) => setImmediate(r));
  const [x, y] = [JSON.parse(a.lines[0]), JSON.parse(b.lines[0])];
  delete x.time;
  delete y.time;
  assert.deepEqual(x, y);
  assert.match(a.lines[0], /"time":"\d{4}-\d\d-\d\dT/);
});

test('no access log below info', () => {
  assert.equal(createAccessLog(capture('warn').logger), null);
});
