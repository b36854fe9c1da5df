// The floor of any proxy written on node:net, for bench/proxy-floor.sh: every client
// connection gets its own upstream connection and bytes are copied both ways as they come.
// No HTTP at all - no framing, no header rewriting, no balancing, no retries - so it is not
// a usable proxy; it measures what Node's socket I/O alone costs on this machine.
// Usage: node pipe-proxy.mjs PORT UPSTREAM   (UPSTREAM: a Unix socket path or a TCP port)
import net from 'node:net';

const port = Number(process.argv[2]);
const upstream = process.argv[3];
const target = upstream.startsWith('/') ? { path: upstream } : { host: '127.0.0.1', port: Number(upstream) };

net
  .createServer({ noDelay: true }, (client) => {
    const up = net.connect(target);
    client.on('data', (d) => {
      if (!up.write(d)) client.pause();
    });
    up.on('data', (d) => {
      if (!client.write(d)) up.pause();
    });
    up.on('drain', () => client.resume());
    client.on('drain', () => up.resume());
    client.on('close', () => up.destroy());
    up.on('close', () => client.destroy());
    client.on('error', () => {});
    up.on('error', () => {});
  })
  .listen(port, '127.0.0.1');
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(0));
