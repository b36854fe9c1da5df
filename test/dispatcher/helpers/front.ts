/**
 * The front of dispatcher tests: the real engine (src/server) on 127.0.0.1:0 running a
 * handler, node:http stand-ins for workers, a dead address, and a recording logger.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHttpServer } from '../../../src/server/server.js';
import type { Handler } from '../../../src/server/types.js';

export interface FrontServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** The engine on 127.0.0.1:0 running `handler`, as the dispatcher runs its own. */
export async function serveWith(handler: Handler, options: Parameters<typeof createHttpServer>[0] = {}): Promise<FrontServer> {
  const server = createHttpServer({ shutdownTimeoutMs: 200, ...options }, handler);
  const address = await server.listen(0, '127.0.0.1');
  return { url: `http://127.0.0.1:${address.port}`, port: address.port, close: () => server.close() };
}

/** A node:http server (a worker stand-in) on 127.0.0.1:0. */
export async function listen(server: http.Server): Promise<FrontServer & { server: http.Server }> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** An http:// address nothing listens on (a port bound, then released). */
export async function deadAddress(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

/** Records logger events for assertions. */
export function recordingLogger(): {
  events: Array<Record<string, unknown>>;
  info(o: object): void;
  warn(o: object): void;
  error(o: object): void;
} {
  const events: Array<Record<string, unknown>> = [];
  const push = (o: object): void => {
    events.push({ ...(o as Record<string, unknown>) });
  };
  return { events, info: push, warn: push, error: push };
}
