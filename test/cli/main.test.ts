import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ENTRY_POINTS, main } from '../../src/cli/main.js';

function io(): { stdout: PassThrough; stderr: PassThrough; out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  return { stdout, stderr, out: () => out, err: () => err };
}

describe('dhttp main', () => {
  it('prints help and exits 0', async () => {
    const s = io();
    assert.equal(await main(['worker', '--help'], {}, s), 0);
    assert.match(s.out(), /^Usage: dhttp worker/);
    assert.equal(s.err(), '');
  });

  it('a bad value is one line on stderr and exit status 2', async () => {
    const s = io();
    assert.equal(await main(['worker', '--queue-size', 'abc'], {}, s), 2);
    assert.equal(s.err(), 'dhttp: invalid --queue-size "abc": must be an integer in [0, 100000]\n');
    assert.equal(s.out(), '');
    const e = io();
    assert.equal(await main(['dispatcher'], { DHTTP_BALANCE: 'random' }, e), 2);
    assert.equal(e.err(), 'dhttp: invalid DHTTP_BALANCE "random": must be one of round-robin, least-load, p2c\n');
  });

  it('maps each command to a module and an exported run function', () => {
    assert.deepEqual(Object.fromEntries(Object.entries(ENTRY_POINTS).map(([k, v]) => [k, `${v.module}#${v.run}`])), {
      worker: '../worker/main.js#runWorker',
      dispatcher: '../dispatcher/main.js#runDispatcher',
      start: '../cluster/start.js#runCluster',
      bench: './bench/bench.js#runBench',
    });
  });

  it('is an executable script', () => {
    const src = readFileSync(
      fileURLToPath(new URL(`./main.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, new URL('../../src/cli/', import.meta.url))),
      'utf8',
    );
    assert.ok(src.startsWith('#!/usr/bin/env node\n'));
  });
});
