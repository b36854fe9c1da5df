/**
 * Issue 16, unbounded memory
 * empty lines before a request count against the header limit, and an
 * answer the dispatcher reads for itself (a job chunk from a hostile worker) has a size
 * cap - the dispatcher's resident memory stays flat in both.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net, { type AddressInfo, type Socket } from 'node:net';
import { startProcess } from '../../helpers/processes.js';
import { waitFor } from '../helpers/app-worker.js';
import { MiB, rssOf, send } from './helpers.js';

test('32 MB of empty lines before a request: closed after at most the header limit, memory flat', async (t) => {
  // Long timeouts: what must end the connection is the size limit, not a clock.
  const d = await startProcess(
    'dispatcher',
    ['--host', '127.0.0.1', '--port', '0', '--header-timeout', '60s', '--keep-alive-timeout', '60s', '--log-level', 'error'],
    { context: t },
  );
  assert.equal((await send(`${d.url}/health`)).status, 200);
  const rss0 = rssOf(d.pid);

  const total = 32 * MiB;
  const chunk = Buffer.alloc(64 * 1024, '\r\n');
  const socket = net.connect(d.port, '127.0.0.1');
  t.after(() => socket.destroy());
  let answer = '';
  socket.on('data', (b: Buffer) => {
    if (answer.length < 4096) answer += b.toString('latin1');
  });
  const outcome = await new Promise<{ written: number; closed: boolean }>((resolve) => {
    let written = 0;
    let done = false;
    const finish = (closed: boolean): void => {
      if (done) return;
      done = true;
      resolve({ written, closed });
    };
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
    setTimeout(() => finish(false), 20_000).unref();
    const pump = (): void => {
      while (!done && written < total) {
        written += chunk.length;
        if (!socket.write(chunk)) {
          socket.once('drain', pump);
          return;
        }
      }
      // Everything was accepted: give the dispatcher a moment to close anyway.
      setTimeout(() => finish(false), 2000).unref();
    };
    socket.on('connect', pump);
  });
  const grown = rssOf(d.pid) - rss0;
  t.diagnostic(`${(outcome.written / MiB).toFixed(1)} MiB written before the close; RSS grew ${(grown / MiB).toFixed(1)} MiB`);
  assert.equal(outcome.closed, true, 'the dispatcher closed the connection');
  // The header limit is 16 KiB; the rest is what the kernel's socket buffers took in meanwhile.
  assert.ok(outcome.written <= 16 * MiB, `${outcome.written} bytes accepted`);
  assert.ok(grown < 16 * MiB, `RSS grew by ${grown} bytes`);
  if (answer !== '') assert.match(answer, /^HTTP\/1\.1 (400|431) /);
});

/** A worker that answers health checks, and every job chunk with a chunked body that never ends. */
async function endlessWorker(limit: number): Promise<{ url: string; streamed: () => number; cut: () => number; close(): Promise<void> }> {
  let streamed = 0;
  let cut = 0;
  const sockets = new Set<Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    let buf = '';
    socket.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      for (let end = buf.indexOf('\r\n\r\n'); end !== -1; end = buf.indexOf('\r\n\r\n')) {
        const head = buf.slice(0, end + 4);
        buf = buf.slice(end + 4);
        if (head.startsWith('GET /ping ')) {
          socket.write('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 24\r\n\r\n{"status":"ok","load":0}');
          continue;
        }
        socket.write('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n');
        const piece = Buffer.from(`100000\r\n${'{"inside_count":1,'.padEnd(0x100000, ' ')}\r\n`, 'latin1');
        const pump = (): void => {
          while (streamed < limit && !socket.destroyed) {
            streamed += piece.length;
            if (!socket.write(piece)) {
              socket.once('drain', pump);
              return;
            }
          }
        };
        socket.once('close', () => cut++);
        pump();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    streamed: () => streamed,
    cut: () => cut,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

test("an endless answer to a job chunk fails that chunk; the dispatcher's memory stays flat", async (t) => {
  // It stops after 256 MiB (then stalls) so that a dispatcher that reads without a cap is
  // seen growing, not killed.
  const hostile = await endlessWorker(256 * MiB);
  t.after(() => hostile.close());
  const d = await startProcess('dispatcher', ['--host', '127.0.0.1', '--port', '0', '--upstreams', hostile.url, '--log-level', 'error'], {
    context: t,
  });
  await waitFor('ready', async () => ((await send(`${d.url}/ready`)).status === 200 ? true : undefined), 10_000);
  const rss0 = rssOf(d.pid);
  let peak = rss0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssOf(d.pid));
  }, 50);
  t.after(() => clearInterval(sampler));
  const job = await send(`${d.url}/montecarlo?points=1000&seed=1`, { timeoutMs: 45_000 }).catch((err: Error) => err);
  clearInterval(sampler);
  const grown = peak - rss0;
  t.diagnostic(`the hostile worker streamed ${(hostile.streamed() / MiB).toFixed(0)} MiB; peak RSS growth ${(grown / MiB).toFixed(1)} MiB`);
  assert.ok(!(job instanceof Error), `the job was answered: ${job instanceof Error ? job.message : ''}`);
  assert.equal(job.status, 502, job.text);
  assert.ok(grown < 64 * MiB, `RSS grew by ${grown} bytes`);
  assert.ok(hostile.cut() >= 1, 'the dispatcher stopped reading and closed the endless answer');
});
