/**
 * `dhttp worker --unix-socket PATH`: the same app on a Unix-domain socket next to TCP, the
 * path in the "listening" line, stale socket files replaced, other files refused with one
 * line (exit 2, file untouched), the file removed on SIGTERM, bad paths rejected at start.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, lstatSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { it } from 'node:test';
import { PROJECT_ROOT, startWorker } from '../helpers/processes.js';
import { get, tempDir } from '../helpers/unix-socket.js';

/** Runs `dhttp worker ...args` expecting it to fail at start; its exit code and stderr. */
function failingWorker(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const root = fileURLToPath(PROJECT_ROOT);
  const cli = import.meta.url.endsWith('.js') ? [`${root}dist/src/cli/main.js`] : ['--import', 'tsx', `${root}src/cli/main.ts`];
  const proc = spawn(process.execPath, [...cli, 'worker', '--host', '127.0.0.1', '--port', '0', '--threads', '1', ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  proc.stdout.setEncoding('utf8').on('data', (s: string) => {
    stdout += s;
  });
  proc.stderr.setEncoding('utf8').on('data', (s: string) => {
    stderr += s;
  });
  const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
  return new Promise((resolve) => {
    proc.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

it('answers over the socket and over TCP; the listening line names the socket; SIGTERM removes it', async (t) => {
  const path = join(tempDir(t, 'dhttp-wus-'), 'worker.sock');
  const w = await startWorker(['--unix-socket', path, '--threads', '1', '--id', 'w-unix'], { context: t });
  assert.equal(w.listening.socket, path);
  assert.equal(w.listening.id, 'w-unix');
  assert.ok(lstatSync(path).isSocket());
  assert.equal(statSync(path).mode & 0o777, 0o600);

  const viaUnix = await get({ socketPath: path, path: '/ping' });
  assert.equal(viaUnix.status, 200);
  assert.equal(viaUnix.headers['x-worker-id'], 'w-unix');
  assert.equal((JSON.parse(viaUnix.body) as { status: string }).status, 'ok');
  const viaTcp = await fetch(`${w.url}/ping`);
  assert.equal(viaTcp.status, 200);
  // A route beyond /ping, with a body, to show it is the whole app.
  const rev = await get({ socketPath: path, path: '/reverse?text=unix' });
  assert.equal(rev.status, 200);
  assert.match(rev.body, /xinu/);

  const { code } = await w.stop('SIGTERM');
  assert.equal(code, 0);
  assert.equal(existsSync(path), false, 'socket file removed on shutdown');
  assert.ok(!w.stderr().includes('Error'), w.stderr());
});

it('without --unix-socket the listening line has no socket field', async (t) => {
  const w = await startWorker(['--threads', '1', '--log-level', 'warn'], { context: t });
  assert.equal('socket' in w.listening, false);
  const path = join(tempDir(t, 'dhttp-wus-'), 'quiet.sock');
  // Below info the line is written directly; it carries the socket too.
  const q = await startWorker(['--threads', '1', '--log-level', 'warn', '--unix-socket', path], { context: t });
  assert.equal(q.listening.socket, path);
  assert.equal((await get({ socketPath: path, path: '/ping' })).status, 200);
});

it('replaces a stale socket file left by a killed predecessor', async (t) => {
  const path = join(tempDir(t, 'dhttp-wus-'), 'stale.sock');
  const dead = net.createServer();
  await new Promise<void>((r) => dead.listen(path, r));
  // libuv unlinks a pipe's name on close: move the file aside meanwhile, as if SIGKILLed.
  renameSync(path, `${path}.aside`);
  await new Promise<void>((r) => dead.close(() => r()));
  renameSync(`${path}.aside`, path);
  assert.ok(lstatSync(path).isSocket());

  const w = await startWorker(['--unix-socket', path, '--threads', '1'], { context: t });
  assert.equal(w.listening.socket, path);
  assert.equal((await get({ socketPath: path, path: '/ping' })).status, 200);

  // And a real SIGKILL: the next worker on the same path starts all the same.
  await w.stop('SIGKILL');
  assert.ok(lstatSync(path).isSocket(), 'SIGKILL leaves the file behind');
  const next = await startWorker(['--unix-socket', path, '--threads', '1'], { context: t });
  assert.equal((await get({ socketPath: path, path: '/ping' })).status, 200);
  await next.stop();
  assert.equal(existsSync(path), false);
});

it('a regular file at the path: one-line error, exit 2, file untouched', async (t) => {
  const path = join(tempDir(t, 'dhttp-wus-'), 'not-a-socket');
  writeFileSync(path, 'precious');
  const r = await failingWorker(['--unix-socket', path]);
  assert.equal(r.code, 2, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /--unix-socket/);
  assert.match(lines[0], /not a socket/);
  assert.equal(readFileSync(path, 'utf8'), 'precious');
  assert.ok(!r.stdout.includes('"listening"'));
});

it('a socket another worker is listening on is refused, and keeps serving', async (t) => {
  const path = join(tempDir(t, 'dhttp-wus-'), 'busy.sock');
  await startWorker(['--unix-socket', path, '--threads', '1'], { context: t });
  const r = await failingWorker(['--unix-socket', path]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /^dhttp: invalid --unix-socket .*another process is listening on it\n$/);
  assert.equal((await get({ socketPath: path, path: '/ping' })).status, 200);
});

it('relative and too-long paths are rejected at start', async () => {
  const relative = await failingWorker(['--unix-socket', 'worker.sock']);
  assert.equal(relative.code, 2);
  assert.equal(
    relative.stderr,
    'dhttp: invalid --unix-socket "worker.sock": must be an absolute path of at most 100 bytes (printable ASCII)\n',
  );
  const long = `/tmp/${'x'.repeat(100)}.sock`;
  const tooLong = await failingWorker(['--unix-socket', long]);
  assert.equal(tooLong.code, 2);
  assert.match(tooLong.stderr, /^dhttp: invalid --unix-socket ".*": must be an absolute path of at most 100 bytes/);
  assert.equal(tooLong.stderr.trim().split('\n').length, 1);
});
