// The floor of a usable HTTP relay on node:net, for bench/proxy-floor.sh: the byte pipe plus
// the least HTTP a proxy cannot skip - each request head found and checked by dhttp's engine
// parser (src/http/head-parser.ts) and sent up with one field added, each response head
// scanned for its length with Keep-Alive dropped, upstream connections pooled. GET without a
// body only, Content-Length answers only, no failure handling, no balancing, no metrics: not a
// usable proxy; it shows what is left for everything else between the pipe and a real one.
// Usage: node bench/peers/minimal-relay.mjs PORT SOCKET   (after npm run build)
import net from 'node:net';
import { parseHead } from '../../dist/src/codec/request-head.js';

const port = Number(process.argv[2]);
const socketPath = process.argv[3];
const LIMITS = { maxUriBytes: 8192, maxHeaderBytes: 16384, maxHeaders: 100 };
const XFF = Buffer.from('X-Forwarded-For: 127.0.0.1\r\n\r\n', 'latin1');
const idle = [];

function acquire() {
  const s = idle.pop();
  if (s !== undefined) return s;
  const up = net.connect({ path: socketPath });
  up.owner = null;
  up.on('data', (d) => up.owner?.onUpData(d));
  up.on('error', () => {});
  up.on('close', () => {
    const i = idle.indexOf(up);
    if (i >= 0) idle.splice(i, 1);
    up.owner?.client.destroy();
  });
  return up;
}

class Conn {
  constructor(client) {
    this.client = client;
    this.buf = null;
    this.up = null;
    this.remaining = -1;
    client.on('data', (d) => {
      this.buf = this.buf === null ? d : Buffer.concat([this.buf, d]);
      if (this.up === null) this.next();
    });
    client.on('error', () => {});
    client.on('close', () => this.up?.destroy());
  }

  next() {
    const buf = this.buf;
    if (buf === null) return;
    let head;
    try {
      head = parseHead(buf, LIMITS);
    } catch {
      this.client.destroy();
      return;
    }
    if (head === null) return;
    this.buf = head.end === buf.length ? null : buf.subarray(head.end);
    const up = acquire();
    up.owner = this;
    this.up = up;
    this.remaining = -1;
    const n = head.end - 2;
    const out = Buffer.allocUnsafe(n + XFF.length);
    buf.copy(out, 0, 0, n);
    XFF.copy(out, n);
    up.write(out);
  }

  onUpData(d) {
    if (this.remaining === -1) {
      const s = d.toString('latin1', 0, Math.min(d.length, 2048));
      const end = s.indexOf('\r\n\r\n');
      let out = '';
      let from = 0;
      let len = 0;
      for (let p = s.indexOf('\r\n') + 2; p < end + 2; ) {
        const le = s.indexOf('\r\n', p);
        const c = s.charCodeAt(p) | 0x20;
        if (c === 0x6b && s.slice(p, p + 11).toLowerCase() === 'keep-alive:') {
          out += s.slice(from, p);
          from = le + 2;
        } else if (c === 0x63 && s.slice(p, p + 15).toLowerCase() === 'content-length:') {
          len = Number(s.slice(p + 15, le).trim());
        }
        p = le + 2;
      }
      out += s.slice(from, end + 4);
      const body = d.subarray(end + 4);
      this.remaining = len - body.length;
      const o = Buffer.allocUnsafe(out.length + body.length);
      o.write(out, 0, 'latin1');
      body.copy(o, out.length);
      this.client.write(o);
    } else {
      this.remaining -= d.length;
      this.client.write(d);
    }
    if (this.remaining === 0) {
      const up = this.up;
      up.owner = null;
      this.up = null;
      idle.push(up);
      this.next();
    }
  }
}

net.createServer({ noDelay: true }, (c) => new Conn(c)).listen(port, '127.0.0.1');
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(0));
