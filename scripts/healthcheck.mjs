#!/usr/bin/env node
// Container health check: GET http://127.0.0.1:<port><path> answered 2xx within the timeout
// → exit 0, anything else → exit 1. Usage: healthcheck.mjs [port] [path]; the port
// defaults to $PORT, then 8080; the path to /health. No shell and no curl needed.
const port = Number(process.argv[2] ?? process.env.PORT ?? 8080);
const path = process.argv[3] ?? '/health';
const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(2500) }).catch(() => undefined);
process.exit(res?.ok ? 0 : 1);
