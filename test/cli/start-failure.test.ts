/**
 * A server that cannot listen says so in one line naming the address and exits 1, without
 * a stack trace, for each command that listens; real processes against a real taken port.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { StartError, listenFailure } from '../../src/config/start-error.js';
import { runCli } from './helpers/run-cli.js';

function assertOneLine(stderr: string, expected: string): void {
  const lines = stderr.split('\n').filter((l) => l !== '' && !l.startsWith('{'));
  assert.deepEqual(lines, [expected], stderr);
  assert.doesNotMatch(stderr, /^\s+at /m, 'no stack trace');
}

describe('start failures', () => {
  const taken = net.createServer();
  let port = 0;
  before(async () => {
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    port = (taken.address() as net.AddressInfo).port;
  });
  after(() => new Promise<void>((resolve) => taken.close(() => resolve())));

  for (const [command, role, extra] of [
    ['worker', 'worker', ['--threads', '1']],
    ['dispatcher', 'dispatcher', []],
    ['start', 'cluster', ['--workers', '1']],
  ] as const) {
    it(`dhttp ${command} on a port in use: one line, exit 1`, async () => {
      const r = await runCli([command, '--host', '127.0.0.1', '--port', String(port), ...extra]);
      assert.equal(r.code, 1, r.stderr);
      assertOneLine(
        r.stderr,
        `dhttp: ${role} cannot listen on 127.0.0.1:${port}: the address is already in use by another process (EADDRINUSE)`,
      );
    });
  }

  it('an address that is not this machine’s (TEST-NET-1)', async () => {
    const r = await runCli(['worker', '--host', '192.0.2.1', '--port', '8081', '--threads', '1']);
    assert.equal(r.code, 1, r.stderr);
    assertOneLine(r.stderr, 'dhttp: worker cannot listen on 192.0.2.1:8081: the address does not belong to this machine (EADDRNOTAVAIL)');
  });

  it('a privileged port as an unprivileged user', async (t) => {
    let start = 1024;
    try {
      start = Number(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8'));
    } catch {
      // Not Linux: ports below 1024 are privileged.
    }
    if (start <= 80) return t.skip(`ports from ${start} up need no privilege here`);
    const root = process.getuid?.() === 0;
    // As root, the child drops to nobody (65534); the project must then be world-readable.
    const r = await runCli(['dispatcher', '--host', '127.0.0.1', '--port', '80'], root ? { uid: 65534 } : {});
    if (root && /EACCES: permission denied, (open|scandir|stat)/.test(r.stderr)) return t.skip('the project is not readable by nobody');
    assert.equal(r.code, 1, r.stderr);
    assertOneLine(
      r.stderr,
      'dhttp: dispatcher cannot listen on 127.0.0.1:80: permission denied (ports below 1024 need privileges) (EACCES)',
    );
  });

  it('maps start errnos to one line and leaves any other error alone', () => {
    const e = (code: string): NodeJS.ErrnoException => Object.assign(new Error(`listen ${code}`), { code });
    const inUse = listenFailure(e('EADDRINUSE'), 'worker', '::1', 8081);
    assert.ok(inUse instanceof StartError);
    assert.equal(inUse.message, 'worker cannot listen on [::1]:8081: the address is already in use by another process (EADDRINUSE)');
    assert.match(
      (listenFailure(e('ENOTFOUND'), 'worker', 'nohost', 1) as Error).message,
      /nohost:1: the host name does not resolve \(ENOTFOUND\)$/,
    );
    const bug = new TypeError('not a start failure');
    assert.equal(listenFailure(bug, 'worker', 'h', 1), bug);
    const other = e('EMFILE');
    assert.equal(listenFailure(other, 'worker', 'h', 1), other);
  });
});
