/**
 * The log destination in real processes: order of pino's and the access log's lines, the
 * exit paths (process.exit, an uncaught exception, SIGTERM handled as the servers do), and
 * a stdout pipe nobody reads (the event loop keeps running, memory stays under the cap,
 * drops are counted and reported once the reader is back).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { LogDestination } from '../../src/common/log-destination.js';

// Compiled (npm test) or through tsx, as test/helpers/processes.ts runs the CLI.
const compiled = import.meta.url.endsWith('.js');
const src = (file: string): string => new URL(`../../src/common/${file}.${compiled ? 'js' : 'ts'}`, import.meta.url).href;

function child(script: string): ChildProcessWithoutNullStreams {
  const body = `
    import { createLogger } from ${JSON.stringify(src('logger'))};
    import { createAccessLog } from ${JSON.stringify(src('access-log'))};
    ${script}
  `;
  return spawn(process.execPath, [...(compiled ? [] : ['--import', 'tsx']), '--input-type=module', '-e', body]);
}

async function run(script: string, signalAfterReady?: NodeJS.Signals): Promise<{ lines: string[]; code: number | null; stderr: string }> {
  const c = child(script);
  let out = '';
  let stderr = '';
  c.stdout.on('data', (d: Buffer) => (out += d.toString()));
  c.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (signalAfterReady !== undefined && stderr.includes('ready')) c.kill(signalAfterReady);
  });
  const code = await new Promise<number | null>((resolve) => c.on('close', resolve));
  return { lines: out.split('\n').filter(Boolean), code, stderr };
}

const LOG_AND_ACCESS = `
  const log = createLogger({ level: 'info', base: { role: 'test' } });
  const access = createAccessLog(log.child({ component: 'http' }));
  for (let i = 0; i < 3000; i++) {
    if (i % 3 === 0) log.info({ n: i }, 'event');
    else access({ id: 'r' + i, client: '127.0.0.1', method: 'GET', path: '/p', query: 'n=' + i, status: 200, bytes: i, ms: 0.5, userAgent: 'ua' });
  }
`;

function checkAll(lines: string[]): void {
  assert.equal(lines.length >= 3000, true, `${lines.length} lines`);
  const numbers = lines
    .slice(0, 3000)
    .map((l) => JSON.parse(l) as { n?: number; id?: string })
    .map((o) => o.n ?? Number(o.id?.slice(1)));
  assert.deepEqual(
    numbers,
    Array.from({ length: 3000 }, (_, i) => i),
    'pino and access-log lines in the order they were logged',
  );
}

test('order is kept between pino lines and access lines, across many blocks, and process.exit writes the rest', async () => {
  // 3000 lines ≈ 500 KB: several 64 KiB blocks, the last one still open at exit.
  const r = await run(`${LOG_AND_ACCESS} process.exit(0);`);
  assert.equal(r.code, 0);
  checkAll(r.lines);
  assert.equal(r.lines.length, 3000);
});

test('an uncaught exception still writes every line logged before it', async () => {
  const r = await run(`${LOG_AND_ACCESS} setImmediate(() => { throw new Error('boom'); });`);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /boom/);
  checkAll(r.lines);
});

test('SIGTERM handled as the servers do (log, then process.exit) loses nothing', async () => {
  const r = await run(
    `${LOG_AND_ACCESS}
     process.once('SIGTERM', () => { log.info('stopped'); process.exit(0); });
     setInterval(() => {}, 1000);
     process.stderr.write('ready\\n');`,
    'SIGTERM',
  );
  assert.equal(r.code, 0);
  checkAll(r.lines);
  assert.equal(JSON.parse(r.lines.at(-1) as string).msg, 'stopped');
});

test('a stuck stdout pipe neither blocks the event loop nor grows memory past the cap; drops are counted and reported', async () => {
  // The child logs 2 000 lines every 10 ms (≈ 0.5 MB per tick) into a pipe nobody reads,
  // with a 256 KiB cap, and reports on stderr how many timer ticks it saw and what is held.
  const c = child(`
    const log = createLogger({ level: 'info', maxPendingBytes: 256 * 1024 });
    const pad = 'x'.repeat(200);
    let ticks = 0;
    let seq = 0;
    const timer = setInterval(() => {
      ticks++;
      for (let i = 0; i < 2000; i++) log.info({ seq: seq++, pad }, 'line');
    }, 10);
    process.on('message', () => {});
    // Commands are lines; one read may bring several.
    process.stdin.on('data', (d) => {
      for (const cmd of String(d).split('\\n')) {
        if (cmd === 'stop') clearInterval(timer);
        if (cmd === 'report') {
          const dest = log[Object.getOwnPropertySymbols(log).find((s) => String(s) === 'Symbol(pino.stream)')];
          process.stderr.write(JSON.stringify({ ticks, pending: dest.pendingBytes, dropped: dest.dropped, rss: process.memoryUsage().rss }) + '\\n');
        }
        if (cmd === 'done') log.info({ last: true }, 'after');
      }
    });
  `);
  let stderr = '';
  c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const report = async (): Promise<{ ticks: number; pending: number; dropped: number; rss: number }> => {
    const before = stderr.length;
    c.stdin.write('report\n');
    for (let i = 0; i < 200 && !stderr.slice(before).includes('\n'); i++) await sleep(10);
    if (!stderr.slice(before).includes('\n')) assert.fail('the child does not answer: its event loop is blocked');
    return JSON.parse(stderr.slice(before).split('\n')[0]) as { ticks: number; pending: number; dropped: number; rss: number };
  };
  try {
    c.stdout.pause();
    let first = await report();
    for (let i = 0; i < 100 && first.dropped === 0; i++) {
      await sleep(100);
      first = await report();
    }
    await sleep(500);
    const second = await report();
    assert.ok(
      second.ticks - first.ticks >= 10,
      `the event loop keeps running while stdout is stuck (${first.ticks} → ${second.ticks} ticks)`,
    );
    assert.ok(second.pending <= 256 * 1024 + 1024, `held ${second.pending} bytes, cap 256 KiB`);
    assert.ok(second.dropped > first.dropped && first.dropped > 0, `dropped ${first.dropped} → ${second.dropped}`);
    c.stdin.write('stop\n');
    let out = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.stdout.resume();
    // What was held drains at the destination's pace (a retry per flush delay while the pipe
    // is full); a line logged before it is under the cap would be dropped, as designed.
    let drained = await report();
    for (let i = 0; i < 100 && drained.pending > 0; i++) {
      await sleep(50);
      drained = await report();
    }
    assert.equal(drained.pending, 0, 'what was held is written once the reader is back');
    c.stdin.write('done\n');
    const deadline = Date.now() + 5000;
    while (!out.includes('"last":true') && Date.now() < deadline) await sleep(20);
    const lines = out.split('\n').filter(Boolean);
    const notice = lines.map((l) => JSON.parse(l) as { msg: string; dropped?: number }).find((o) => o.dropped !== undefined);
    assert.ok(notice !== undefined, 'a notice line reports the drops');
    assert.equal(notice.dropped, (await report()).dropped, 'the notice counts every dropped line');
    assert.match(out, /"last":true/, 'lines flow again once the reader is back');
    const seqs = lines.map((l) => (JSON.parse(l) as { seq?: number }).seq).filter((s): s is number => s !== undefined);
    assert.ok(
      seqs.every((s, i) => i === 0 || s > seqs[i - 1]),
      'what was kept is in order',
    );
  } finally {
    c.kill('SIGKILL');
  }
});

test('LogDestination: a file gets whole blocks in order; flush writes the open block; bad options are refused', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dhttp-logdest-'));
  try {
    const file = join(dir, 'log.jsonl');
    const d = new LogDestination({ dest: file });
    const expected: string[] = [];
    for (let i = 0; i < 1000; i++) {
      const line = `{"i":${i},"text":"${'é'.repeat(i % 50)}"}\n`;
      expected.push(line);
      assert.equal(d.write(line), true);
    }
    // A line longer than a block goes out whole, in its place.
    const big = `{"big":"${'y'.repeat(100_000)}"}\n`;
    d.write(big);
    expected.push(big);
    d.write('{"tail":1}\n');
    expected.push('{"tail":1}\n');
    d.flush();
    assert.equal(d.pendingBytes, 0);
    assert.equal(readFileSync(file, 'utf8'), expected.join(''));
    assert.throws(() => new LogDestination({ dest: file, maxPendingBytes: 1000 }), /maxPendingBytes/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
