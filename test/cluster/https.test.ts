/**
 * HTTPS through `dhttp start` (TLS on the dispatcher, workers plain behind it): every
 * SPEC §3 endpoint kind with Node's https client and with curl, SIGHUP rotation (a new
 * connection sees the new certificate while an old keep-alive one keeps working; the
 * workers are not touched), a bad pair refused on reload with one log line, the
 * --redirect-http listener, and a mismatched key refused at start (exit 2, one line).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { PROJECT_ROOT, type StartedProcess, startProcess } from '../helpers/processes.js';
import { makeTestCerts, type TestCerts } from '../helpers/tls-certs.js';
import { sendRaw } from '../server/helpers/raw-client.js';
import { exchange, tlsConnect } from '../server/helpers/tls-client.js';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function request(port: number, ca: Buffer, path: string, init: { method?: string; body?: Buffer; headers?: Record<string, string> } = {}) {
  return new Promise<Reply>((resolve, reject) => {
    const req = https.request(
      { host: '127.0.0.1', port, path, method: init.method ?? 'GET', ca, headers: init.headers, agent: false, timeout: 20_000 },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end(init.body);
  });
}

function curl(args: readonly string[]): { status: number; body: string } {
  const r = spawnSync('curl', ['-sS', '--max-time', '20', '-o', '-', '-w', '\n%{http_code}', ...args], { encoding: 'utf8' });
  if (r.error !== undefined) throw new Error(`curl is needed for this test (scripts/install-test-deps.sh installs it): ${r.error.message}`);
  assert.equal(r.status, 0, r.stderr);
  const cut = r.stdout.lastIndexOf('\n');
  return { status: Number(r.stdout.slice(cut + 1)), body: r.stdout.slice(0, cut) };
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

async function until(cond: () => Promise<boolean> | boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await Promise.resolve(cond()).catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The workers' pids from their listening lines (passed through on the cluster's stdout). */
function workerPids(lines: readonly string[]): number[] {
  const pids: number[] = [];
  for (const line of lines) {
    if (!line.includes('"role":"worker"') || !line.includes('"listening"')) continue;
    pids.push((JSON.parse(line) as { pid: number }).pid);
  }
  return pids;
}

const TEXT = "The cat and the hat. Don't stop; the CAT!\n";
const FILE = Buffer.from(Array.from({ length: 4096 }, (_, i) => i % 251));

describe('HTTPS through dhttp start', () => {
  let certs: TestCerts;
  let dir: string;
  let cert: string;
  let key: string;
  let cluster: StartedProcess;
  let redirectPort: number;

  before(async () => {
    certs = makeTestCerts();
    dir = mkdtempSync(join(tmpdir(), 'dhttp-https-'));
    cert = join(dir, 'cert.pem');
    key = join(dir, 'key.pem');
    copyFileSync(certs.a.cert, cert);
    copyFileSync(certs.a.key, key);
    const www = join(dir, 'www');
    mkdirSync(www);
    mkdirSync(join(dir, 'data'));
    writeFileSync(join(www, 'file.bin'), FILE);
    redirectPort = await freePort();
    cluster = await startProcess(
      'start',
      ['--workers', '2', '--threads', '1', '--host', '127.0.0.1', '--port', '0', '--tls-cert', cert, '--tls-key', key].concat([
        '--redirect-http',
        String(redirectPort),
        '--www',
        www,
        '--data-dir',
        join(dir, 'data'),
      ]),
      { timeoutMs: 30_000 },
    );
    assert.match(cluster.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    // /ready means one worker serves; the tests below count both.
    await until(async () => {
      const r = await request(cluster.port, certs.ca, '/workers');
      return r.status === 200 && JSON.parse(r.body.toString()).filter((w: { Active: boolean }) => w.Active).length === 2;
    }, 'both workers to be active');
  });

  after(async () => {
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
    certs?.remove();
  });

  test("JSON, a static file with Range, and a countwords upload, with Node's https client", async () => {
    const fib = await request(cluster.port, certs.ca, '/fibonacci?num=90');
    assert.equal(fib.status, 200);
    assert.deepEqual(JSON.parse(fib.body.toString()), { num: 90, result: '2880067194370816120' });
    const range = await request(cluster.port, certs.ca, '/file.bin', { headers: { Range: 'bytes=100-1123' } });
    assert.equal(range.status, 206);
    assert.equal(range.headers['content-range'], `bytes 100-1123/${FILE.length}`);
    assert.ok(range.body.equals(FILE.subarray(100, 1124)));
    const words = await request(cluster.port, certs.ca, '/countwords', { method: 'POST', body: Buffer.from(TEXT) });
    assert.equal(words.status, 200);
    assert.deepEqual(JSON.parse(words.body.toString()), { and: 1, cat: 2, "don't": 1, hat: 1, stop: 1, the: 3 });
    // TLS is the dispatcher's: the workers behind it serve plain HTTP.
    const workers = JSON.parse((await request(cluster.port, certs.ca, '/workers')).body.toString()) as { Address: string }[];
    assert.equal(workers.length, 2);
    for (const w of workers) assert.match(w.Address, /^http:\/\/127\.0\.0\.1:\d+$/);
  });

  test('the same with curl', () => {
    const base = `https://localhost:${cluster.port}`;
    const ca = ['--cacert', certs.caFile];
    const fib = curl([...ca, `${base}/fibonacci?num=10`]);
    assert.equal(fib.status, 200);
    assert.deepEqual(JSON.parse(fib.body), { num: 10, result: '55' });
    const range = curl([...ca, '-r', '0-9', `${base}/file.bin`]);
    assert.equal(range.status, 206);
    assert.ok(Buffer.from(range.body, 'latin1').equals(FILE.subarray(0, 10)));
    const file = join(dir, 'upload.txt');
    writeFileSync(file, TEXT.repeat(1000));
    const words = curl([...ca, '--data-binary', `@${file}`, '-H', 'Content-Type: text/plain', `${base}/countwords?top=1`]);
    assert.equal(words.status, 200);
    assert.deepEqual(JSON.parse(words.body), { total_words: 9000, unique_words: 6, top: [{ word: 'the', count: 3000 }] });
  });

  test('--redirect-http answers plain HTTP with 308 to the HTTPS port', async () => {
    const r = await sendRaw(redirectPort, [`GET /hello?x=1 HTTP/1.1\r\nHost: localhost:${redirectPort}\r\nConnection: close\r\n\r\n`]);
    assert.equal(r.responses[0].status, 308);
    assert.equal(r.responses[0].headers.location, `https://localhost:${cluster.port}/hello?x=1`);
  });

  test('SIGHUP: a new connection gets the new certificate, an old keep-alive one keeps working, the workers stay', async () => {
    const pidsBefore = workerPids(cluster.lines);
    assert.equal(pidsBefore.length, 2);
    const old = await tlsConnect(cluster.port, { ca: certs.ca });
    assert.equal(old.getPeerCertificate().fingerprint256, certs.a.fingerprint);
    assert.equal((await exchange(old, 'GET /ping HTTP/1.1\r\nHost: localhost\r\n\r\n')).status, 200);

    copyFileSync(certs.b.cert, cert);
    copyFileSync(certs.b.key, key);
    process.kill(cluster.pid, 'SIGHUP');
    await until(() => cluster.lines.some((l) => l.includes('"tls_reloaded"') && l.includes(certs.b.fingerprint)), 'the reload line');
    const fresh = await tlsConnect(cluster.port, { ca: certs.ca });
    assert.equal(fresh.getPeerCertificate().fingerprint256, certs.b.fingerprint);
    assert.equal((await exchange(fresh, 'GET /ping HTTP/1.1\r\nHost: localhost\r\n\r\n')).status, 200);
    assert.equal(
      (await exchange(old, 'GET /fibonacci?num=5 HTTP/1.1\r\nHost: localhost\r\n\r\n')).status,
      200,
      'the old connection serves',
    );
    assert.equal(old.getPeerCertificate().fingerprint256, certs.a.fingerprint);
    // No worker was signalled or restarted.
    assert.deepEqual(workerPids(cluster.lines), pidsBefore);
    for (const pid of pidsBefore) process.kill(pid, 0);
    old.destroy();
    fresh.destroy();
  });

  test('a mismatched pair on SIGHUP is refused with one log line; the current certificate stays', async () => {
    copyFileSync(certs.a.key, key); // B's certificate (from the last test) with A's key
    const failedBefore = cluster.lines.filter((l) => l.includes('tls_reload_failed')).length;
    process.kill(cluster.pid, 'SIGHUP');
    await until(() => cluster.lines.filter((l) => l.includes('tls_reload_failed')).length > failedBefore, 'the refusal line');
    await new Promise((r) => setTimeout(r, 200));
    const failed = cluster.lines.filter((l) => l.includes('tls_reload_failed'));
    assert.equal(failed.length, failedBefore + 1);
    assert.match(failed[failed.length - 1], /does not match the certificate/);
    const s = await tlsConnect(cluster.port, { ca: certs.ca });
    const expected = cluster.lines.some((l) => l.includes('"tls_reloaded"')) ? certs.b.fingerprint : certs.a.fingerprint;
    assert.equal(s.getPeerCertificate().fingerprint256, expected);
    assert.equal((await exchange(s, 'GET /ping HTTP/1.1\r\nHost: localhost\r\n\r\n')).status, 200);
    s.destroy();
  });
});

describe('TLS configuration errors at start', () => {
  let certs: TestCerts;
  before(() => {
    certs = makeTestCerts();
  });
  after(() => certs.remove());

  const cli = fileURLToPath(new URL(import.meta.url.endsWith('.js') ? 'dist/src/cli/main.js' : 'src/cli/main.ts', PROJECT_ROOT));
  const run = (args: readonly string[]): Promise<{ code: number | null; stderr: string }> =>
    new Promise((resolve) => {
      const loader = import.meta.url.endsWith('.js') ? [] : ['--import', 'tsx'];
      const p = spawn(process.execPath, [...loader, cli, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      p.stderr.setEncoding('utf8').on('data', (s: string) => {
        stderr += s;
      });
      const timer = setTimeout(() => p.kill('SIGKILL'), 20_000);
      p.once('exit', (code) => {
        clearTimeout(timer);
        resolve({ code, stderr });
      });
    });

  for (const command of ['start', 'dispatcher', 'worker']) {
    test(`dhttp ${command}: a key that does not match the certificate is exit 2 with one line`, async () => {
      const r = await run([command, '--port', '0', '--tls-cert', certs.a.cert, '--tls-key', certs.b.key]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /^dhttp: invalid --tls-key ".*b\.key": does not match the certificate in ".*a\.chain\.pem"\n$/);
    });
  }

  test('a missing file, and a certificate without its key, are exit 2 with one line', async () => {
    const missing = await run(['start', '--port', '0', '--tls-cert', '/nonexistent/cert.pem', '--tls-key', certs.a.key]);
    assert.equal(missing.code, 2);
    assert.equal(missing.stderr, 'dhttp: invalid --tls-cert "/nonexistent/cert.pem": ENOENT: no such file\n');
    const alone = await run(['dispatcher', '--port', '0', '--tls-cert', certs.a.cert]);
    assert.equal(alone.code, 2);
    assert.equal(alone.stderr, 'dhttp: missing --tls-key: --tls-cert needs its private key\n');
  });
});
