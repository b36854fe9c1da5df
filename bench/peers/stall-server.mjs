// Peer for bench/all.sh (the --rate check): node:http answering GET /ping, whose event loop
// stalls once for STALL_MS (default 1000) at STALL_AT ms (default 2000) after its first
// request - the server wrk2's coordinated-omission correction is about: every request due
// during the stall waits for it. Usage: PORT=18300 node bench/peers/stall-server.mjs
import http from 'node:http';

const port = Number(process.env.PORT ?? 18300);
const stallAt = Number(process.env.STALL_AT ?? 2000);
const stallMs = Number(process.env.STALL_MS ?? 1000);
const body = Buffer.from('{"status":"ok","load":0}');
let first = 0;
let stalled = false;

http
  .createServer((_req, res) => {
    const now = Date.now();
    if (first === 0) first = now;
    if (!stalled && now - first >= stallAt) {
      stalled = true;
      while (Date.now() - now < stallMs) {
        // The stall: nothing else runs in this process meanwhile.
      }
    }
    res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': body.length });
    res.end(body);
  })
  .listen(port, '127.0.0.1');
