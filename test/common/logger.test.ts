import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { spawn } from 'node:child_process';
import { createLogger } from '../../src/common/logger.js';

test('the async logger writes a line within its 100 ms batch, and an idle logger never writes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dhttp-logger-'));
  const file = join(dir, 'log.jsonl');
  // The log destination writes through fs.writeSync (fs.write too, should it ever go
  // asynchronous): count the calls of both.
  const realWrite = fs.write;
  const realWriteSync = fs.writeSync;
  let writes = 0;
  (fs as { write: unknown }).write = function (this: unknown, ...args: unknown[]) {
    writes++;
    return (realWrite as (...a: unknown[]) => unknown).apply(this, args);
  };
  (fs as { writeSync: unknown }).writeSync = function (this: unknown, ...args: unknown[]) {
    writes++;
    return (realWriteSync as (...a: unknown[]) => unknown).apply(this, args);
  };
  try {
    const logger = createLogger({ dest: file, level: 'info' });
    // Idle: an empty flush would be a write(2) every 100 ms (the timer used to tick anyway).
    await sleep(450);
    assert.equal(writes, 0, 'an idle logger must not write');
    logger.info({ event: 'hello' }, 'one line');
    // Far below minLength (4 KiB): only the batch timer can write it out, within ≈ 100 ms.
    let text = '';
    for (let i = 0; i < 40 && !text.includes('"event":"hello"'); i++) {
      await sleep(25);
      text = readFileSync(file, 'utf8');
    }
    assert.match(text, /"event":"hello"/);
    assert.equal(writes, 1, 'one write for the batch');
    await sleep(350);
    assert.equal(writes, 1, 'no writes after the batch went out');
  } finally {
    (fs as { write: unknown }).write = realWrite;
    (fs as { writeSync: unknown }).writeSync = realWriteSync;
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a line logged while a big write is stuck still goes out within ≈ 100 ms of that write completing', async () => {
  // The child logs one 256 KiB line (more than a pipe holds, so its write blocks until we
  // read), then one small line (below minLength) while that write is in progress, and stays
  // alive. The batch timer fires during the stuck write, when a flush can do nothing; the
  // small line must still arrive without waiting for the exit flush or for more lines.
  // Compiled (npm test) or through tsx, as test/helpers/processes.ts runs the CLI.
  const compiled = import.meta.url.endsWith('.js');
  const logger = new URL(`../../src/common/logger.${compiled ? 'js' : 'ts'}`, import.meta.url).href;
  const script = `
    import { createLogger } from ${JSON.stringify(logger)};
    const log = createLogger({ level: 'info' });
    log.info({ pad: 'x'.repeat(256 * 1024) }, 'bulk');
    setTimeout(() => log.info({ event: 'tail' }, 'tail'), 20);
    setTimeout(() => {}, 10000);
  `;
  const child = spawn(process.execPath, [...(compiled ? [] : ['--import', 'tsx']), '--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    child.stdout.pause();
    await sleep(400); // the bulk write is stuck on the full pipe; the tail is logged meanwhile
    let text = '';
    child.stdout.on('data', (d: Buffer) => (text += d.toString()));
    child.stdout.resume();
    const deadline = Date.now() + 3000;
    while (!text.includes('"event":"tail"') && Date.now() < deadline) await sleep(20);
    assert.match(text, /"event":"tail"/, 'the tail line came out while the process lives');
    assert.equal(child.exitCode, null);
  } finally {
    child.kill('SIGKILL');
  }
});
