/**
 * WebSocket echo round trip (issue 19 acceptance 3): one `dhttp start --workers 1
 * --threads 1`, and a `ws` client that sends a message to /ws/echo and waits for it to come
 * back, one at a time, either through the dispatcher (an Upgrade tunnel) or straight to the
 * worker's own TCP port (read from /workers). Rounds alternate the two paths (direct,
 * tunnel, tunnel, direct, …) so drift hits both alike; each round is a fresh connection
 * with a warm-up. Prints a line per round and one JSON summary: median and p99 round trip
 * per path and the tunnel's added median, in µs. Not a test: run it on a quiet machine.
 *
 *   npm run build && node dist/bench/websocket-rtt.js [--messages 5000] [--rounds 4] [--size 64]
 */
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { ClusterProcess } from './cluster-process.js';

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '5000' },
    rounds: { type: 'string', default: '4' },
    size: { type: 'string', default: '64' },
  },
});
const messages = Number(values.messages);
const rounds = Number(values.rounds);
const payload = Buffer.alloc(Number(values.size), 0x61);

function open(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** Round trips of `count` messages sent one at a time, in µs each. */
async function pingPong(ws: WebSocket, count: number): Promise<number[]> {
  const rtts: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = process.hrtime.bigint();
    await new Promise<void>((resolve, reject) => {
      ws.once('message', (data: Buffer) => {
        if (!Buffer.isBuffer(data) || !data.equals(payload)) reject(new Error('the echo differs from the message'));
        else resolve();
      });
      ws.send(payload);
    });
    rtts.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  return rtts;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const cluster = await ClusterProcess.start(1, { args: ['--threads', '1'] });
try {
  const workers = (await (await fetch(`${cluster.url}/workers`)).json()) as { Address: string }[];
  const direct = `${workers[0].Address.replace(/^http/, 'ws')}/ws/echo`;
  const tunnel = `${cluster.url.replace(/^http/, 'ws')}/ws/echo`;
  const all: Record<'direct' | 'tunnel', number[]> = { direct: [], tunnel: [] };
  for (let r = 0; r < rounds; r++) {
    const order: ('direct' | 'tunnel')[] = r % 2 === 0 ? ['direct', 'tunnel'] : ['tunnel', 'direct'];
    for (const path of order) {
      const ws = await open(path === 'direct' ? direct : tunnel);
      await pingPong(ws, Math.min(500, messages));
      const rtts = await pingPong(ws, messages);
      ws.close();
      all[path].push(...rtts);
      const s = [...rtts].sort((a, b) => a - b);
      console.log(`round ${r + 1} ${path.padEnd(6)}: median ${percentile(s, 50).toFixed(0)} µs, p99 ${percentile(s, 99).toFixed(0)} µs`);
    }
  }
  const summary = Object.fromEntries(
    (['direct', 'tunnel'] as const).map((p) => {
      const s = all[p].sort((a, b) => a - b);
      return [p, { median_us: Math.round(percentile(s, 50)), p99_us: Math.round(percentile(s, 99)), messages: s.length }];
    }),
  );
  const added = summary.tunnel.median_us - summary.direct.median_us;
  console.log(JSON.stringify({ bench: 'websocket-rtt', size: payload.length, ...summary, tunnel_added_median_us: added }));
} finally {
  await cluster.stop();
}
