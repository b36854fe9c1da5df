/**
 * Memory cost of idle keep-alive connections (issue 3 point 5: a worker; issue 5 point 6:
 * the dispatcher). Starts the server as a real process, reads its RSS, opens N
 * connections that each make one keep-alive request and then stay idle, reads the RSS
 * again, checks that a fresh client is still answered, and prints one JSON line.
 *
 *   node dist/bench/idle-connections.js worker 10000
 *   node dist/bench/idle-connections.js dispatcher 10000
 * Bounded: every wait has a deadline; all sockets and the server are closed at the end.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { fileURLToPath } from 'node:url';

const role = process.argv[2] ?? 'worker';
const count = Number(process.argv[3] ?? 10000);
const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m === null ? NaN : Number(m[1]) / 1024;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function start(args: string[]): Promise<{ pid: number; port: number; stop(): void }> {
  const proc = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no listening line within 20 s')), 20000);
    let buf = '';
    proc.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const m =
        /"msg":"listening"[^\n]*"url":"http:\/\/[^:]+:(\d+)"/.exec(buf) ?? /"url":"http:\/\/[^:]+:(\d+)"[^\n]*"msg":"listening"/.exec(buf);
      if (m !== null) {
        clearTimeout(t);
        resolve(Number(m[1]));
      }
    });
    proc.stdout!.resume();
  });
  return { pid: proc.pid!, port, stop: () => proc.kill('SIGTERM') };
}

function openIdle(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    s.setTimeout(10000, () => reject(new Error('timeout')));
    s.on('error', reject);
    s.once('connect', () => s.write('GET /ping HTTP/1.1\r\nHost: x\r\n\r\n'));
    s.once('data', () => {
      s.setTimeout(0);
      resolve(s);
    });
  });
}

async function pingMs(port: number): Promise<number> {
  const t0 = performance.now();
  const s = await openIdle(port);
  s.destroy();
  return performance.now() - t0;
}

const common = [
  '--port',
  '0',
  '--host',
  '127.0.0.1',
  '--keep-alive-timeout',
  '10m',
  '--max-connections',
  String(count + 1000),
  '--log-level',
  'warn',
];
let worker: Awaited<ReturnType<typeof start>> | undefined;
let server: Awaited<ReturnType<typeof start>>;
if (role === 'dispatcher') {
  worker = await start(['worker', ...common, '--threads', '1']);
  server = await start(['dispatcher', ...common, '--upstreams', `http://127.0.0.1:${worker.port}`, '--health-interval', '1s']);
} else {
  server = await start(['worker', ...common, '--threads', '1']);
}
const sockets: net.Socket[] = [];
try {
  await pingMs(server.port);
  await sleep(1500);
  const baseline = rssMb(server.pid);
  const t0 = performance.now();
  for (let i = 0; i < count; i += 500) {
    const batch = await Promise.all(Array.from({ length: Math.min(500, count - i) }, () => openIdle(server.port)));
    sockets.push(...batch);
  }
  const openMs = performance.now() - t0;
  await sleep(2000);
  const loaded = rssMb(server.pid);
  const ping = await pingMs(server.port);
  const alive = sockets.filter((s) => !s.destroyed).length;
  console.log(
    JSON.stringify({
      role,
      connections: count,
      alive,
      baseline_rss_mb: +baseline.toFixed(1),
      loaded_rss_mb: +loaded.toFixed(1),
      delta_mb: +(loaded - baseline).toFixed(1),
      per_connection_kb: +(((loaded - baseline) * 1024) / count).toFixed(2),
      open_ms: Math.round(openMs),
      fresh_request_ms: +ping.toFixed(2),
    }),
  );
} finally {
  for (const s of sockets) s.destroy();
  server.stop();
  worker?.stop();
}
