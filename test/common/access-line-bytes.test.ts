import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { pino } from 'pino';
import { type AccessRecord, createAccessLog, formatAccessLine, linePrefix } from '../../src/common/access-log.js';
import { LogDestination, MAX_INTO_BYTES } from '../../src/common/log-destination.js';

/** A worker's http logger over a LogDestination writing to a file, as createLogger builds it. */
function fileLogger(dir: string, name: string) {
  const file = join(dir, name);
  const destination = new LogDestination({ dest: file });
  const logger = pino(
    { level: 'info', base: { pid: 7, role: 'worker', worker: 'w-ü"1' }, timestamp: pino.stdTimeFunctions.isoTime },
    destination,
  ).child({
    component: 'http',
  });
  return { logger, destination, read: () => readFileSync(file, 'utf8') };
}

/** The lines the string formatter makes for `records`, at the times the written lines carry. */
function expected(written: string, records: AccessRecord[], prefix: ReturnType<typeof linePrefix>, max: number): string {
  const lines = written.split('\n').slice(0, -1);
  assert.equal(lines.length, records.length);
  return records
    .map((r, i) => {
      const time = /^\{"level":30,"time":"([^"]*)"/.exec(lines[i])?.[1];
      assert.ok(time !== undefined, lines[i]);
      return formatAccessLine(prefix, time, r, max);
    })
    .join('');
}

const anyText = fc.oneof(
  fc.constant(''),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: fc.constantFrom('a', '"', '\\', '\u0001', 'é', '’', '😀', '\ud800', '\udc00', '\u2028'), maxLength: 30 }),
  fc.string({ unit: 'grapheme-ascii', minLength: 400, maxLength: 700 }),
);
const record: fc.Arbitrary<AccessRecord> = fc.record({
  id: fc.oneof(fc.stringMatching(/^[A-Za-z0-9._:-]{1,128}$/), fc.constant('r-é')),
  client: fc.constantFrom('127.0.0.1', '::ffff:10.0.0.2', ''),
  method: fc.constantFrom('GET', 'POST', 'M-SEARCH'),
  path: anyText,
  query: anyText,
  status: fc.oneof(fc.integer({ min: 100, max: 599 }), fc.constant(499)),
  bytes: fc.oneof(fc.nat(), fc.maxSafeNat(), fc.constant(0)),
  ms: fc.oneof(fc.double({ min: 0, max: 1e7, noNaN: true }), fc.constantFrom(0, 0.0005, 2147483.6475, 1e21, -1, Number.NaN)),
  userAgent: fc.option(anyText, { nil: undefined }),
});

test("access lines written in place are byte for byte the formatter's, whatever the fields", () => {
  const dir = mkdtempSync(join(tmpdir(), 'dhttp-accessbytes-'));
  try {
    let run = 0;
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 30 }), fc.constantFrom(512, 8, 4000), (records, max) => {
        const { logger, destination, read } = fileLogger(dir, `run-${run++}.log`);
        const log = createAccessLog(logger, { maxField: max });
        assert.ok(log !== null);
        for (const r of records) log(r);
        destination.flushSync();
        const written = read();
        assert.equal(written, expected(written, records, linePrefix(logger), max));
      }),
      { numRuns: 300 },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('lines that repeat a request (same client, method, path, query, status, bytes, user agent) stay exact as ids, times and durations change', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dhttp-accessbytes-'));
  try {
    let run = 0;
    const field = fc.constantFrom<keyof AccessRecord>('client', 'method', 'path', 'query', 'status', 'bytes', 'userAgent');
    const pick = fc.record({
      at: fc.nat(),
      id: record.map((r) => r.id),
      ms: fc.double({ min: 0, max: 1e4, noNaN: true }),
      same: fc.boolean(),
    });
    fc.assert(
      fc.property(
        record,
        record,
        fc.array(field, { minLength: 1, maxLength: 3 }),
        fc.array(pick, { minLength: 2, maxLength: 40 }),
        (base, other, fields, picks) => {
          // Kinds of request that differ from the first in one field each.
          const kinds: AccessRecord[] = [base, ...fields.map((f) => ({ ...base, [f]: other[f] }))];
          const { logger, destination, read } = fileLogger(dir, `repeat-${run++}.log`);
          const log = createAccessLog(logger, { maxField: 512 });
          assert.ok(log !== null);
          // Runs of one kind of request, with other kinds between them; the records are new objects each time.
          const records: AccessRecord[] = [];
          let kind = 0;
          for (const p of picks) {
            if (!p.same) kind = p.at % kinds.length;
            records.push({ ...kinds[kind], id: p.id, ms: p.ms });
          }
          for (const r of records) log(r);
          destination.flushSync();
          const written = read();
          assert.equal(written, expected(written, records, linePrefix(logger), 512));
        },
      ),
      { numRuns: 300 },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('thousands of lines cross blocks in order; a line too long to write in place still arrives whole', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dhttp-accessbytes-'));
  try {
    const { logger, destination, read } = fileLogger(dir, 'many.log');
    const max = 20_000;
    const log = createAccessLog(logger, { maxField: max });
    assert.ok(log !== null);
    const base: AccessRecord = {
      id: 'a',
      client: '127.0.0.1',
      method: 'GET',
      path: '/ping',
      query: '',
      status: 200,
      bytes: 75,
      ms: 0.05,
      userAgent: undefined,
    };
    const records: AccessRecord[] = [];
    for (let i = 0; i < 3000; i++) records.push({ ...base, id: `id-${i}`, bytes: i, ms: i / 7 });
    // Its user agent alone may take 3 × 6000 bytes: more than a line written in place may.
    records.splice(1500, 0, { ...base, userAgent: 'é'.repeat(6000) });
    assert.ok(3 * 6000 > MAX_INTO_BYTES);
    for (const r of records) log(r);
    destination.flushSync();
    const written = read();
    assert.ok(written.length > 64 * 1024 * 3, 'the lines span several blocks');
    assert.equal(written, expected(written, records, linePrefix(logger), max));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('writeInto refuses a bound above its limit, and drops and counts lines once the destination failed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dhttp-accessbytes-'));
  try {
    const destination = new LogDestination({ dest: join(dir, 'x.log') });
    assert.throws(() => destination.writeInto(MAX_INTO_BYTES + 1, (_b, at) => at), RangeError);
    assert.equal(
      destination.writeInto(8, (b, at) => at + b.write('ok\n', at)),
      true,
    );
    destination.flushSync();
    assert.equal(readFileSync(join(dir, 'x.log'), 'utf8'), 'ok\n');
    assert.equal(destination.dropped, 0);

    const fd = openSync(join(dir, 'y.log'), 'a');
    const broken = new LogDestination({ dest: fd });
    closeSync(fd);
    broken.writeInto(8, (b, at) => at + b.write('lost\n', at));
    broken.flushSync(); // EBADF: the destination fails for good
    let called = false;
    const took = broken.writeInto(8, (_b, at) => {
      called = true;
      return at;
    });
    assert.deepEqual([took, called, broken.dropped], [false, false, 1]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
