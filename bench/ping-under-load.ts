/**
 * Issue 4, acceptance 2, measured precisely: GET /ping latency on one keep-alive
 * connection while every compute thread of a real worker runs /simulate?seconds=2
 * (kept busy for the whole measurement), against the same worker idle. Prints one JSON
 * line with p50/p90/p99/max in ms for both. Bounded: N pings each, 10 s per phase at most.
 *
 *   npx tsc -p . && node dist/bench/ping-under-load.js [PINGS=2000] [THREADS=2]
 */
import { spawn } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';

const pings = Number(process.argv[2] ?? 2000);
const threads = Number(process.argv[3] ?? 2);
const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const proc = spawn(
  process.execPath,
  [cli, 'worker', '--port', '0', '--host', '127.0.0.1', '--threads', String(threads), '--log-level', 'warn'],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
const port = await new Promise<number>((resolve, reject) => {
  const t = setTimeout(() => reject(new Error('worker did not start')), 20000);
  let buf = '';
  proc.stdout!.on('data', (d: Buffer) => {
    const m = /"url":"http:\/\/[^:]+:(\d+)"/.exec((buf += d.toString()));
    if (m !== null) {
      clearTimeout(t);
      resolve(Number(m[1]));
    }
  });
});

/**
 * Sequential GETs over keep-alive connections (a fresh one every 500 requests, below the
 * server's --max-requests-per-connection); resolves with latencies in ms.
 */
async function sequential(path: string, n: number, deadline: number): Promise<number[]> {
  const out: number[] = [];
  while (out.length < n && Date.now() < deadline) out.push(...(await oneConnection(path, Math.min(500, n - out.length), deadline)));
  return out;
}

async function oneConnection(path: string, n: number, deadline: number): Promise<number[]> {
  const s = net.connect(port, '127.0.0.1');
  s.setNoDelay(true);
  await new Promise((r) => s.once('connect', r));
  const out: number[] = [];
  for (let i = 0; i < n && Date.now() < deadline; i++) {
    const t0 = performance.now();
    await new Promise<void>((resolve, reject) => {
      let got = '';
      s.once('close', () => reject(new Error('connection closed before the response')));
      const onData = (d: Buffer): void => {
        got += d.toString('latin1');
        const h = got.indexOf('\r\n\r\n');
        const m = /content-length: (\d+)/i.exec(got);
        if (h !== -1 && m !== null && got.length >= h + 4 + Number(m[1])) {
          s.off('data', onData);
          s.removeAllListeners('close');
          resolve();
        }
      };
      s.on('data', onData);
      s.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
    });
    out.push(performance.now() - t0);
  }
  s.destroy();
  return out;
}

function summary(xs: number[]) {
  const a = [...xs].sort((x, y) => x - y);
  const q = (p: number) => +a[Math.min(a.length - 1, Math.floor(p * a.length))].toFixed(3);
  return { n: a.length, p50_ms: q(0.5), p90_ms: q(0.9), p99_ms: q(0.99), max_ms: +a[a.length - 1].toFixed(3) };
}

try {
  await sequential('/ping', 200, Date.now() + 5000); // warm-up
  const idle = await sequential('/ping', pings, Date.now() + 10000);
  // Keep every thread busy: `threads` loops of back-to-back 2 s simulations.
  let busy = true;
  const loaders = Array.from({ length: threads }, async () => {
    while (busy) await sequential('/simulate?seconds=2', 1, Date.now() + 5000);
  });
  await new Promise((r) => setTimeout(r, 200));
  const loaded = await sequential('/ping', pings, Date.now() + 10000);
  busy = false;
  await Promise.all(loaders);
  console.log(JSON.stringify({ threads, idle: summary(idle), all_threads_busy: summary(loaded) }));
} finally {
  proc.kill('SIGTERM');
}
