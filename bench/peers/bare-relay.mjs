// dhttp's own relay parts with no dispatcher logic, for bench/proxy-floor.sh: the engine
// (src/http) offering every request to a pass-through hook that sends it up through the raw
// client's relay mode (src/dispatcher/raw-client: pool, connection, ResponseRelay) with one
// field added. No selection policy, upstream state, retries or fallback, metrics, request-id or
// proxy-field rules: not a usable proxy (GET without a body only). Its place between the
// minimal relay and `dhttp start` splits what our HTTP parts cost from the dispatcher's logic.
// Usage: node bench/peers/bare-relay.mjs PORT SOCKET   (after npm run build)
import { createHttpServer } from '../../dist/src/server/server.js';
import { RawPool } from '../../dist/src/client/pool.js';

const port = Number(process.argv[2]);
const pool = new RawPool('http://127.0.0.1', { socketPath: process.argv[3] });

const passThrough = {
  take(ex) {
    const target = {
      onHead: (status, lines, body, complete, closeDelimited) => ex.sendHead(status, lines, body, complete, closeDelimited),
      onData: (data, complete) => ex.write(Buffer.from(data), complete),
      onFail: () => {
        if (!ex.done) ex.destroy();
      },
    };
    pool.pass(`${ex.head}x-forwarded-for: 127.0.0.1\r\n\r\n`, ex.method, target, 60_000);
    return true;
  },
};
const server = createHttpServer({ passThrough }, () => {});
await server.listen(port, '127.0.0.1');
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(0));
