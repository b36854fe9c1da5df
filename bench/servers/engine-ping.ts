/**
 * The bare engine answering GET /ping with the peers' JSON, for the engine-vs-node:http
 * benchmark (bench/engine.sh). Same router, serializer and request ids as the worker,
 * without the worker's metrics and logs, which bench/worker.sh measures separately.
 */
import { JSON_TYPE } from '../../src/server/response.js';
import { Router } from '../../src/server/router.js';
import { createHttpServer } from '../../src/server/server.js';

const port = Number(process.env.PORT ?? process.argv[2] ?? 18090);
// A constant answer is serialized once, as a user would (the peers send a prebuilt body too).
const PING = JSON.stringify({ status: 'ok', load: 0 });
const router = new Router().get('/ping', (_req, res) => res.send(200, PING, JSON_TYPE));
const server = createHttpServer({}, router.handle);
await server.listen(port, '127.0.0.1');
const stop = (): void => void server.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
