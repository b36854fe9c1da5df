import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { main } from '../../src/cli/main.js';
import { parseCommand } from '../../src/cli/options.js';
import { projectRoot } from '../helpers/paths.js';
import { runCli } from './helpers/run-cli.js';

const pkg = JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { version: string };
const EXPECTED = `dhttp ${pkg.version} (node ${process.version})`;

describe('dhttp --version', () => {
  it('prints the package version and the Node version, whatever comes after', () => {
    assert.match(pkg.version, /^\d+\.\d+\.\d+/);
    for (const argv of [['--version'], ['-V'], ['version'], ['worker', '--version'], ['bench', '-V', '--bogus'], ['start', '-V']]) {
      assert.deepEqual(parseCommand(argv, {}), { version: EXPECTED }, argv.join(' '));
    }
  });

  it('goes to stdout with exit status 0', async () => {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    stdout.on('data', (c: Buffer) => (out += c.toString()));
    assert.equal(await main(['--version'], {}, { stdout, stderr }), 0);
    assert.equal(out, `${EXPECTED}\n`);
  });

  it('finds package.json from the installed layout too (a real process)', async () => {
    const r = await runCli(['--version']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${EXPECTED}\n`);
    assert.equal(r.stderr, '');
  });
});
