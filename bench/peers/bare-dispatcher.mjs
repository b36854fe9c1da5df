// The floor of a dispatcher built from dhttp's own parts, for bench/proxy-floor.sh: our HTTP
// engine (src/http) in front of our raw keep-alive client (src/dispatcher/raw-client), and
// nothing else - no Forwarder (retries, holding, failure classes), no selection policy or
// upstream state, no header rewriting (only X-Request-Id goes up, only Content-Type comes
// back), no metrics, no dashboard. Not a usable proxy (GET without a body only); its
// place between the byte pipe and `dhttp start` splits what our HTTP parts cost from what
// the forwarding logic costs.
// Usage: node bench/peers/bare-dispatcher.mjs PORT SOCKET   (after npm run build)
import { createHttpServer } from '../../dist/src/http/server.js';
import { RawPool } from '../../dist/src/dispatcher/raw-client/pool.js';

const port = Number(process.argv[2]);
const socketPath = process.argv[3];
const pool = new RawPool('http://127.0.0.1', { socketPath });

const server = createHttpServer({}, async (req, res) => {
  const up = await pool.request({
    method: req.method, path: req.target, headers: ['x-request-id', req.id],
    timeoutMs: 60_000, headersValidated: true, signal: req.lightSignal,
  });
  res.status = up.statusCode;
  const type = up.headers['content-type'];
  if (type !== undefined) res.setHeader('content-type', type);
  if (up.complete !== undefined) {
    res.end(up.complete);
    return;
  }
  for await (const chunk of up.body) if (!res.write(chunk)) await res.drain();
  res.end();
});
await server.listen(port, '127.0.0.1');
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(0));
