// The least a Node load client can do per request, for bench/client-floor.sh: CONNS
// keep-alive connections, reads landing in one static buffer (net's `onread`, no stream
// machinery), and the next request written on the read that ends an answer - no parsing,
// no clock, no histogram. An answer to GET /ping is JSON, so a read ending in `}` ends it.
// Usage: node minimal-client.mjs PORT SECONDS [CONNS]; prints {"requests_per_second": N}.
import net from 'node:net';

const port = Number(process.argv[2]);
const seconds = Number(process.argv[3]);
const conns = Number(process.argv[4] ?? 50);
const request = Buffer.from(`GET /ping HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
const readBuffer = Buffer.allocUnsafe(64 * 1024);
let answers = 0;

function open() {
  const socket = net.connect({
    port,
    host: '127.0.0.1',
    noDelay: true,
    onread: {
      buffer: readBuffer,
      callback: (n) => {
        if (readBuffer[n - 1] === 0x7d) {
          answers++;
          socket.write(request);
        }
        return true;
      },
    },
  });
  socket.on('connect', () => socket.write(request));
  socket.on('error', () => {});
  // A server that closes after so many requests per connection (dhttp: 1000) is reconnected.
  socket.on('close', open);
}

for (let i = 0; i < conns; i++) open();
const started = performance.now();
setTimeout(() => {
  console.log(JSON.stringify({ requests_per_second: answers / ((performance.now() - started) / 1000) }));
  process.exit(0);
}, seconds * 1000);
