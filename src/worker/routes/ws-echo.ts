/**
 * GET /ws/echo: a WebSocket (RFC 6455) echo, each message sent back as it came (text as
 * text, binary as binary). The protocol is the `ws` package's; this module checks the
 * handshake (so a bad one gets a SPEC §2 error from the route, not ws's own plain-text
 * answer), hands valid ones to ws on the engine's upgrade hook, and bounds every
 * connection: --ws-max-message (a larger message closes with 1009), --ws-idle-timeout
 * (no frame from the client for that long closes with 1001), the echo backlog (reading
 * pauses while the client does not read its echoes), and shutdown (1001 to all).
 */
import type { IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import type { WebSocket, WebSocketServer } from 'ws';
import { type HttpError, httpError } from '../../common/errors.js';
import type { HttpRequest } from '../../server/types.js';
import type { RouteDef, WorkerStats } from '../context.js';

export const WS_ECHO_PATH = '/ws/echo';

/** 16 random bytes in base64 (RFC 6455 §4.1). */
const KEY_RE = /^[+/0-9A-Za-z]{21}[AQgw]==$/;

/** Echoes not yet flushed to the socket above which reading pauses (plus one message). */
const ECHO_BACKLOG_BYTES = 1024 * 1024;

export interface WsEchoOptions {
  /** Largest message in bytes. @default 1 MiB (--ws-max-message) */
  readonly maxMessage: number;
  /** Close after this long without a frame from the client. @default 60 s (--ws-idle-timeout) */
  readonly idleTimeoutMs: number;
  /** Open WebSockets count as in-flight work (the worker's load). */
  readonly stats: WorkerStats;
  /**
   * Asked last, for a valid handshake (the rate limiter); false declines it, and the route
   * then answers the request as plain HTTP. @default every handshake admitted
   */
  readonly admit?: (req: HttpRequest) => boolean;
}

/** Why a request to /ws/echo cannot become a WebSocket; undefined when it can. */
export function handshakeError(req: HttpRequest): HttpError | undefined {
  const upgrade = req.headers.get('upgrade');
  if (req.httpMinor !== 1 || upgrade?.trim().toLowerCase() !== 'websocket' || !hasToken(req.headers.get('connection'), 'upgrade')) {
    return httpError(
      'UPGRADE_REQUIRED',
      'this endpoint speaks WebSocket only: an HTTP/1.1 GET with Connection: Upgrade and Upgrade: websocket',
      {
        Upgrade: 'websocket',
      },
    );
  }
  if (req.headers.get('sec-websocket-version')?.trim() !== '13') {
    return httpError('UPGRADE_REQUIRED', 'Sec-WebSocket-Version must be 13', { 'Sec-WebSocket-Version': '13' });
  }
  if (!KEY_RE.test(req.headers.get('sec-websocket-key')?.trim() ?? '')) {
    return httpError('BAD_REQUEST', 'Sec-WebSocket-Key must be 16 bytes in base64');
  }
  if (req.hasBody) return httpError('BAD_REQUEST', 'a WebSocket handshake has no body');
  return undefined;
}

function hasToken(list: string | undefined, token: string): boolean {
  return list?.split(',').some((t) => t.trim().toLowerCase() === token) === true;
}

/**
 * `ws`, loaded at the first handshake: it adds 3-6 MB to every worker's resident memory, and
 * most never see a WebSocket. Synchronous (`ws` is CommonJS), as the upgrade hook must be.
 */
let wsModule: typeof import('ws') | undefined;
function loadWs(): typeof import('ws') {
  wsModule ??= createRequire(import.meta.url)('ws') as typeof import('ws');
  return wsModule;
}

export class WsEcho {
  #wss: WebSocketServer | undefined;
  readonly #opts: WsEchoOptions;
  readonly #open = new Set<WebSocket>();
  #closing = false;

  constructor(options: WsEchoOptions) {
    this.#opts = options;
  }

  /** WebSockets open now. */
  get openCount(): number {
    return this.#open.size;
  }

  /** The limits, for /help. */
  describe(): string {
    const { maxMessage, idleTimeoutMs } = this.#opts;
    return `messages up to ${maxMessage} bytes (larger: close 1009); closed with 1001 after ${idleTimeoutMs / 1000} s without a frame from the client`;
  }

  /** The engine's upgrade hook: takes valid handshakes to /ws/echo, declines the rest. */
  readonly upgrade = (req: HttpRequest, socket: Socket, head: Buffer): boolean => {
    if (req.path !== WS_ECHO_PATH || req.method !== 'GET' || this.#closing || handshakeError(req) !== undefined) return false;
    if (this.#opts.admit !== undefined && !this.#opts.admit(req)) return false;
    // ws reads these fields only; the handshake was checked above.
    const wsReq = {
      method: 'GET',
      url: req.target,
      headers: { upgrade: 'websocket', 'sec-websocket-key': req.headers.get('sec-websocket-key')?.trim(), 'sec-websocket-version': '13' },
    } as unknown as IncomingMessage;
    // No permessage-deflate: a compressed frame could inflate far beyond what was read.
    this.#wss ??= new (loadWs().WebSocketServer)({
      noServer: true,
      clientTracking: false,
      perMessageDeflate: false,
      maxPayload: this.#opts.maxMessage,
    });
    this.#wss.handleUpgrade(wsReq, socket, head, (ws) => this.#serve(ws));
    return true;
  };

  /** Shutdown: every WebSocket is told 1001 (going away); new handshakes are declined. */
  closeAll(): void {
    this.#closing = true;
    for (const ws of this.#open) ws.close(1001, 'server shutting down');
  }

  #serve(ws: WebSocket): void {
    const { stats, idleTimeoutMs } = this.#opts;
    this.#open.add(ws);
    stats.inFlight++;
    const idle = setTimeout(() => ws.close(1001, 'idle timeout'), idleTimeoutMs);
    idle.unref();
    const alive = (): void => {
      idle.refresh();
    };
    let paused = false;
    const flushed = (): void => {
      if (paused && ws.bufferedAmount <= ECHO_BACKLOG_BYTES / 2) {
        paused = false;
        ws.resume();
      }
    };
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      alive();
      ws.send(data, { binary: isBinary }, flushed);
      if (!paused && ws.bufferedAmount > ECHO_BACKLOG_BYTES) {
        paused = true;
        ws.pause();
      }
    });
    ws.on('ping', alive);
    ws.on('pong', alive);
    // Protocol errors (1002, 1007, 1009) are answered with a close frame by ws itself.
    ws.on('error', () => {});
    ws.once('close', () => {
      clearTimeout(idle);
      this.#open.delete(ws);
      stats.inFlight--;
    });
    if (this.#closing) ws.close(1001, 'server shutting down');
  }
}

/** The plain-HTTP side of /ws/echo: a request the upgrade hook did not take gets why. */
export function wsEchoRoute(echo: WsEcho): RouteDef {
  return {
    methods: ['GET'],
    path: WS_ECHO_PATH,
    handler: (req) => {
      throw handshakeError(req) ?? httpError('SHUTTING_DOWN', 'the worker is shutting down', { 'Retry-After': '1' });
    },
    doc: {
      summary: `WebSocket echo (RFC 6455): every message comes back as sent; ${echo.describe()}.`,
    },
  };
}
