/** Limits and timeouts of the HTTP engine. Every one is configurable (SPEC §1 defaults). */
export interface EngineOptions {
  /** Longest request-target in bytes → 414. @default 8192 */
  maxUriBytes: number;
  /** Largest header section (all field lines, excluding the request line) → 431. @default 16384 */
  maxHeaderBytes: number;
  /** Most header fields → 431. @default 200 */
  maxHeaders: number;
  /** Largest request body unless a route says otherwise → 413. @default 1 MiB */
  maxBodyBytes: number;
  /** Time allowed from a request's first byte to the end of its head → 408. @default 10 s */
  headerTimeoutMs: number;
  /** Longest silence while a body is being received → 408. @default 30 s */
  bodyTimeoutMs: number;
  /** Idle time between requests on a keep-alive connection before a quiet close. @default 5 s */
  keepAliveTimeoutMs: number;
  /** Requests served on one connection before it is closed; 0 = unlimited. @default 1000 */
  maxRequestsPerConnection: number;
  /** Open connections; beyond it new ones get a 503 and are closed. @default 20000 */
  maxConnections: number;
  /**
   * Longest time a client may take none of the response bytes written to it (its socket
   * buffer full) before the connection is closed (nginx's send_timeout). @default 30 s
   */
  sendTimeoutMs: number;
  /** Grace period for in-flight requests on shutdown. @default 10 s */
  shutdownTimeoutMs: number;
  /**
   * Unread request body a finished response may leave behind and still keep the
   * connection (it is read and discarded); above it the connection is closed. @default 64 KiB
   */
  maxDiscardBytes: number;
  /** Longest chunk-size line (size + extensions) of a chunked body → 400. @default 4096 */
  maxChunkLineBytes: number;
}

export const ENGINE_DEFAULTS: Readonly<EngineOptions> = Object.freeze({
  maxUriBytes: 8 * 1024,
  maxHeaderBytes: 16 * 1024,
  maxHeaders: 200,
  maxBodyBytes: 1024 * 1024,
  headerTimeoutMs: 10_000,
  bodyTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  maxRequestsPerConnection: 1000,
  maxConnections: 20_000,
  sendTimeoutMs: 30_000,
  shutdownTimeoutMs: 10_000,
  maxDiscardBytes: 64 * 1024,
  maxChunkLineBytes: 4096,
});
