/**
 * Small in-process workers on the real engine, for the dispatcher app tests that do not
 * need a whole `dhttp worker` process: /ping like a worker, /echo-headers to see what
 * the dispatcher sent, and the router's own 404/405 to check they pass through.
 */
import { Router } from '../../../src/server/router.js';
import { createHttpServer, type HttpServer } from '../../../src/server/server.js';
import { parseAs } from '../../../src/cli/options.js';
import type { DispatcherConfig } from '../../../src/config/types.js';
import type { EventLogger } from '../../../src/dispatcher/logger.js';
import { HttpError, errorBody } from '../../../src/common/errors.js';

export interface MiniWorker {
  readonly name: string;
  readonly url: string;
  readonly port: number;
  readonly server: HttpServer;
  close(): Promise<void>;
}

export async function startMiniWorker(name: string, port = 0): Promise<MiniWorker> {
  const r = new Router();
  let load = 0;
  r.get('/ping', (_req, res) => res.json(200, { status: 'ok', load }));
  r.get('/echo-headers', (req, res) => res.json(200, { worker: name, headers: Object.fromEntries(req.headers.entries()) }));
  r.get('/whoami', (_req, res) => res.json(200, { worker: name }));
  r.post('/echo', async (req, res) => {
    const parts: Buffer[] = [];
    for await (const c of req.body) parts.push(c as Buffer);
    res.send(200, Buffer.concat(parts), 'application/octet-stream');
  });
  r.get('/slow', async (req, res) => {
    load++;
    await new Promise((resolve) => setTimeout(resolve, Number(req.query.get('ms') ?? '100')));
    load--;
    res.json(200, { worker: name });
  });
  const server = createHttpServer({ onError: () => {}, shutdownTimeoutMs: 500 }, async (req, res) => {
    res.setHeader('X-Worker', name);
    try {
      await r.handle(req, res);
    } catch (err) {
      // Answered here rather than by the engine, which would drop X-Worker.
      if (!(err instanceof HttpError) || res.headersSent) throw err;
      for (const [k, v] of Object.entries(err.headers)) res.setHeader(k, v);
      res.send(err.status, errorBody(err.code, err.message, req.id), 'application/json; charset=utf-8');
    }
  });
  const addr = await server.listen(port, '127.0.0.1');
  return { name, url: `http://127.0.0.1:${addr.port}`, port: addr.port, server, close: () => server.close() };
}

/** A dispatcher config for tests: loopback, ephemeral port, short health interval. */
export function testDispatcherConfig(args: string[] = []): DispatcherConfig {
  return parseAs('dispatcher', ['--host', '127.0.0.1', '--port', '0', '--health-interval', '200ms', ...args], {});
}

/** Records the structured events a dispatcher logs. */
export class EventRecorder implements EventLogger {
  readonly events: Array<Record<string, unknown>> = [];

  debug(obj: object): void {
    this.events.push({ level: 'debug', ...obj });
  }

  info(obj: object): void {
    this.events.push({ level: 'info', ...obj });
  }

  warn(obj: object): void {
    this.events.push({ level: 'warn', ...obj });
  }

  error(obj: object): void {
    this.events.push({ level: 'error', ...obj });
  }

  named(event: string): Array<Record<string, unknown>> {
    return this.events.filter((e) => e.event === event);
  }
}

/** Polls `check` every 20 ms until it returns a value (not undefined) or `ms` pass. */
export async function waitFor<T>(what: string, check: () => T | undefined | Promise<T | undefined>, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
