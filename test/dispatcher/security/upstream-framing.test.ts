/**
 * Issue 16, poisoning through a bad upstream.
 * An adversarial worker answers HEAD with a body that is itself a
 * whole answer (smuggled: read as the next answer on the connection, it hands one client's
 * token to the request pipelined behind), and puts a space before a field's colon or folds
 * a field line; ordinary requests are answered with their own client's token. Property:
 * whatever mix of these runs at once, no answer carries another client's bytes, and the
 * malformed answers are 502s.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net, { type AddressInfo, type Socket } from 'node:net';
import fc from 'fast-check';
import { startProcess } from '../../helpers/processes.js';
import { waitFor } from '../helpers/app-worker.js';
import { send } from './helpers.js';

type Kind = 'echo' | 'head-with-body' | 'spaced' | 'folded';

const REQUEST: Record<Kind, (token: string) => string> = {
  echo: (token) => `GET /echo HTTP/1.1\r\nHost: x\r\nX-Client: ${token}\r\nConnection: close\r\n\r\n`,
  'head-with-body': (token) => `HEAD /evil HTTP/1.1\r\nHost: x\r\nX-Client: ${token}\r\nConnection: close\r\n\r\n`,
  spaced: (token) => `GET /spaced HTTP/1.1\r\nHost: x\r\nX-Client: ${token}\r\nConnection: close\r\n\r\n`,
  folded: (token) => `GET /folded HTTP/1.1\r\nHost: x\r\nX-Client: ${token}\r\nConnection: close\r\n\r\n`,
};

/** The worker's answer to one request head (pipelined requests are answered in order). */
function adversarialAnswer(head: string): string {
  const token = /\r\nx-client: *([^\r]*)/i.exec(head)?.[1] ?? '';
  const body = `client=${token}`;
  if (head.startsWith('GET /ping '))
    return 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 24\r\n\r\n{"status":"ok","load":0}';
  // The body of a HEAD answer is itself a whole answer: read as the next one on the
  // connection, it hands this client's token to whoever is pipelined behind.
  if (head.startsWith('HEAD /evil ')) {
    const smuggled = `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    return `HTTP/1.1 200 OK\r\nContent-Length: ${smuggled.length}\r\n\r\n${smuggled}`;
  }
  if (head.startsWith('GET /spaced ')) return `HTTP/1.1 200 OK\r\nX-Bad : 1\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
  if (head.startsWith('GET /folded ')) return `HTTP/1.1 200 OK\r\nX-Fold: a\r\n b\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
  return `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
}

async function adversarialWorker(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    let buf = '';
    socket.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      let out = '';
      for (let end = buf.indexOf('\r\n\r\n'); end !== -1; end = buf.indexOf('\r\n\r\n')) {
        out += adversarialAnswer(buf.slice(0, end + 4));
        buf = buf.slice(end + 4);
      }
      // Pipelined answers go out together, as a worker's write batching would send them.
      if (out !== '') socket.write(out, 'latin1');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** One request on its own connection (Connection: close): everything the dispatcher sent, until it closed. */
function exchange(port: number, text: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let got = '';
    const timer = setTimeout(() => socket.destroy(), 10_000);
    socket.on('data', (d: Buffer) => {
      got += d.toString('latin1');
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(got);
    });
    socket.write(text, 'latin1');
  });
}

test('HEAD-with-body and malformed field answers reach no other client (property, adversarial worker)', {}, async (t) => {
  const worker = await adversarialWorker();
  t.after(() => worker.close());
  const d = await startProcess(
    'dispatcher',
    ['--host', '127.0.0.1', '--port', '0', '--upstreams', worker.url, '--upstream-pipelining', '16', '--log-level', 'error'],
    { context: t },
  );
  await waitFor('ready', async () => ((await send(`${d.url}/ready`)).status === 200 ? true : undefined), 10_000);
  // Every target answered a few times, so the fast path deems them quick and pipelines them.
  for (let i = 0; i < 4; i++) {
    for (const kind of Object.keys(REQUEST) as Kind[]) await exchange(d.port, REQUEST[kind](`warmup-${i}`));
  }

  let run = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.constantFrom<Kind>('echo', 'echo', 'echo', 'head-with-body', 'spaced', 'folded'), { minLength: 2, maxLength: 45 }),
      async (kinds) => {
        run++;
        const tokens = kinds.map((_, i) => `r${run}c${i}x${Math.random().toString(36).slice(2, 10)}`);
        const answers = await Promise.all(kinds.map((kind, i) => exchange(d.port, REQUEST[kind](tokens[i]))));
        answers.forEach((raw, i) => {
          const kind = kinds[i];
          const end = raw.indexOf('\r\n\r\n');
          const what = `${kind} #${i}: ${JSON.stringify(raw.slice(0, 300))}`;
          assert.ok(end !== -1, `an answer came: ${what}`);
          const status = Number(raw.slice(9, 12));
          const body = raw.slice(end + 4);
          for (const [j, other] of tokens.entries()) if (j !== i) assert.ok(!raw.includes(other), `another client's bytes: ${what}`);
          if (kind === 'echo') {
            if (status === 200) assert.equal(body, `client=${tokens[i]}`, what);
            else assert.ok(status === 502 || status === 503 || status === 504, what);
          } else if (kind === 'head-with-body') {
            assert.ok(status === 200 || status === 502, what);
            assert.equal(body, '', `nothing after a HEAD answer's head: ${what}`);
          } else {
            assert.equal(status, 502, `a malformed field is a 502: ${what}`);
          }
        });
      },
    ),
    { numRuns: 20, endOnFailure: true },
  );
});
