// A peer for comparison, not a usable proxy: minimal-relay.mjs with the requests that arrive in
// the same event-loop turn written to one upstream connection together (HTTP/1.1 pipelining),
// their answers matched in order - what pipelining alone gives a minimal relay (bench/results/history.md).
// Usage: node bench/peers/minimal-pipelined.mjs PORT SOCKET   (DEPTH=32: requests per write)
import net from 'node:net';
import { parseHead } from '../../dist/src/codec/request-head.js';

const port = Number(process.argv[2]);
const socketPath = process.argv[3];
const MAXDEPTH = Number(process.env.DEPTH ?? 32);
const LIMITS = { maxUriBytes: 8192, maxHeaderBytes: 16384, maxHeaders: 100 };
const XFF = Buffer.from('X-Forwarded-For: 127.0.0.1\r\n\r\n', 'latin1');
const idle = [];
let queue = [];
let scheduled = false;

class Up {
  constructor() {
    this.sock = net.connect({ path: socketPath });
    this.fifo = [];
    this.remaining = -1;
    this.pend = null;
    this.sock.on('data', (d) => this.onData(d));
    this.sock.on('error', () => {});
    this.sock.on('close', () => {
      const i = idle.indexOf(this);
      if (i >= 0) idle.splice(i, 1);
      for (const c of this.fifo) c.client.destroy();
    });
  }
  onData(d) {
    if (this.pend !== null) {
      d = Buffer.concat([this.pend, d]);
      this.pend = null;
    }
    let pos = 0;
    while (pos < d.length && this.fifo.length > 0) {
      const owner = this.fifo[0];
      if (this.remaining === -1) {
        const s = d.toString('latin1', pos, Math.min(d.length, pos + 2048));
        const end = s.indexOf('\r\n\r\n');
        if (end === -1) {
          this.pend = Buffer.from(d.subarray(pos));
          return;
        }
        let out = '';
        let from = 0;
        let len = 0;
        for (let p = s.indexOf('\r\n') + 2; p < end + 2; ) {
          const le = s.indexOf('\r\n', p);
          const c = s.charCodeAt(p) | 0x20;
          if (c === 0x6b && s.slice(p, p + 11).toLowerCase() === 'keep-alive:') {
            out += s.slice(from, p);
            from = le + 2;
          } else if (c === 0x63 && s.slice(p, p + 15).toLowerCase() === 'content-length:') len = Number(s.slice(p + 15, le).trim());
          p = le + 2;
        }
        out += s.slice(from, end + 4);
        pos += end + 4;
        const n = Math.min(len, d.length - pos);
        this.remaining = len - n;
        const o = Buffer.allocUnsafe(out.length + n);
        o.write(out, 0, 'latin1');
        d.copy(o, out.length, pos, pos + n);
        pos += n;
        owner.client.write(o);
      } else {
        const n = Math.min(this.remaining, d.length - pos);
        this.remaining -= n;
        owner.client.write(d.subarray(pos, pos + n));
        pos += n;
      }
      if (this.remaining === 0) {
        this.remaining = -1;
        this.fifo.shift();
        owner.up = null;
        owner.next();
      }
    }
    if (this.fifo.length === 0) idle.push(this);
  }
}

function flush() {
  scheduled = false;
  const q = queue;
  queue = [];
  for (let i = 0; i < q.length; i += MAXDEPTH) {
    const part = q.slice(i, i + MAXDEPTH);
    const up = idle.pop() ?? new Up();
    const bufs = [];
    for (const [conn, b] of part) {
      up.fifo.push(conn);
      conn.up = up;
      bufs.push(b);
    }
    up.sock.write(bufs.length === 1 ? bufs[0] : Buffer.concat(bufs));
  }
}

class Conn {
  constructor(client) {
    this.client = client;
    this.buf = null;
    this.up = null;
    this.queued = false;
    client.on('data', (d) => {
      this.buf = this.buf === null ? d : Buffer.concat([this.buf, d]);
      if (this.up === null && !this.queued) this.next();
    });
    client.on('error', () => {});
    client.on('close', () => this.up?.sock.destroy());
  }
  next() {
    this.queued = false;
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
    const n = head.end - 2;
    const out = Buffer.allocUnsafe(n + XFF.length);
    buf.copy(out, 0, 0, n);
    XFF.copy(out, n);
    this.queued = true;
    queue.push([this, out]);
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  }
}

net.createServer({ noDelay: true }, (c) => new Conn(c)).listen(port, '127.0.0.1');
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(0));
