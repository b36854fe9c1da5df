/**
 * Loopback TCP vs a Unix-domain socket for the dispatcher→worker hop: two processes
 * pinned to one core (as bench/dispatcher.sh pins the cluster) bounce 200-byte messages
 * over 20 connections; prints round trips per second and the client's CPU per message.
 * The estimate behind "a Unix socket for dhttp start's local workers" in bench/results/history.md.
 *
 *   npx tsc -p . && node dist/bench/socket-pingpong.js [--messages 200000]
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const MESSAGE = Buffer.alloc(200, 0x61);
const CONNECTIONS = 20;

type Address = { path: string } | { host: string; port: number };

function serve(address: Address): Promise<net.Server> {
  const server = net.createServer({ noDelay: true }, (s) => {
    s.on('error', () => {});
    s.on('data', () => s.write(MESSAGE));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(address, () => resolve(server));
  });
}

function run(address: Address, messages: number): Promise<{ rtt_per_s: number; client_us_per_message: number }> {
  return new Promise((resolve, reject) => {
    let done = 0;
    const sockets: net.Socket[] = [];
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let c = 0; c < CONNECTIONS; c++) {
      const s = net.connect(address as net.NetConnectOpts, () => s.write(MESSAGE));
      s.setNoDelay(true);
      s.on('error', reject);
      s.on('data', () => {
        if (++done === messages) {
          const cpu = process.cpuUsage(cpu0);
          for (const x of sockets) x.destroy();
          resolve({
            rtt_per_s: Math.round(messages / ((performance.now() - t0) / 1000)),
            client_us_per_message: Math.round(((cpu.user + cpu.system) / messages) * 100) / 100,
          });
        } else if (done < messages) {
          s.write(MESSAGE);
        }
      });
      sockets.push(s);
    }
  });
}

const role = process.argv[2];
if (role === 'server') {
  // Child: serve on the address given as JSON, until stdin closes.
  const server = await serve(JSON.parse(process.argv[3]) as Address);
  process.stdout.write('ready\n');
  process.stdin.resume();
  process.stdin.on('end', () => server.close(() => process.exit(0)));
} else {
  const { values } = parseArgs({ options: { messages: { type: 'string', default: '200000' } } });
  const messages = Number(values.messages);
  const dir = await mkdtemp(join(tmpdir(), 'dhttp-pingpong-'));
  const result: Record<string, unknown> = { messages, connections: CONNECTIONS };
  try {
    for (const [name, address] of [
      ['tcp', { host: '127.0.0.1', port: 18777 }],
      ['unix', { path: join(dir, 's.sock') }],
    ] as Array<[string, Address]>) {
      const child = spawn('taskset', ['-c', '0', process.execPath, fileURLToPath(import.meta.url), 'server', JSON.stringify(address)], {
        stdio: ['pipe', 'pipe', 'inherit'],
      });
      await new Promise<void>((resolve, reject) => {
        child.stdout.once('data', () => resolve());
        child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
      });
      result[name] = await run(address, messages);
      child.stdin.end();
      await new Promise((r) => child.once('exit', r));
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  console.log(JSON.stringify(result));
}
