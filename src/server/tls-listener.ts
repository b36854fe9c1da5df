/**
 * TLS in front of the engine. The server's own net listener accepts TCP connections (so
 * one --max-connections cap and one shutdown cover every socket, mid-handshake or not)
 * and hands each to a tls.Server that never listens itself: it runs the handshake (ALPN
 * http/1.1, the protocol floor, a handshake deadline) and gives back a TLSSocket, which
 * the engine's Connection reads exactly as it reads a TCP socket.
 */
import type { Socket } from 'node:net';
import { createServer, type Server as TlsServer, type TLSSocket } from 'node:tls';
import { ALPN_PROTOCOLS, type TlsFiles, type TlsPair, loadTlsPair, secureOptionsOf } from './tls-credentials.js';

/** What a server needs to serve TLS: the files (re-read on reload) and their checked contents. */
export interface TlsSetup {
  readonly files: TlsFiles;
  readonly pair: TlsPair;
}

export class TlsFront {
  readonly #tls: TlsServer;
  readonly #files: TlsFiles;
  #pair: TlsPair;
  #failedHandshakes = 0;

  /**
   * `handshakeTimeoutMs` bounds a client that connects and never finishes its handshake;
   * `onSecure` receives each socket once its handshake is done.
   */
  constructor(setup: TlsSetup, handshakeTimeoutMs: number, onSecure: (socket: TLSSocket) => void) {
    this.#files = setup.files;
    this.#pair = setup.pair;
    this.#tls = createServer({
      ...secureOptionsOf(setup.pair, setup.files.minVersion),
      ALPNProtocols: [...ALPN_PROTOCOLS],
      handshakeTimeout: handshakeTimeoutMs,
    });
    this.#tls.on('secureConnection', (socket: TLSSocket) => {
      // The engine's half-close semantics (a request, then FIN, still gets its answer).
      socket.allowHalfOpen = true;
      onSecure(socket);
    });
    // Handshake failures and timeouts (ERR_TLS_HANDSHAKE_TIMEOUT) are the client's; with a
    // listener here Node leaves the socket open, so it is closed explicitly.
    this.#tls.on('tlsClientError', (_err: Error, socket: TLSSocket) => {
      this.#failedHandshakes++;
      socket.destroy();
    });
  }

  /** The SHA-256 fingerprint of the certificate new handshakes get. */
  get fingerprint(): string {
    return this.#pair.fingerprint;
  }

  get failedHandshakes(): number {
    return this.#failedHandshakes;
  }

  /** Starts the handshake on an accepted TCP socket. */
  handshake(raw: Socket): void {
    // The TLSSocket inherits this: a client that half-closes mid-handshake can never finish
    // it, and its socket closes at once instead of waiting for the handshake deadline.
    raw.allowHalfOpen = false;
    this.#tls.emit('connection', raw);
  }

  /**
   * Re-reads the certificate and key files. A good pair serves every handshake from now on
   * (open connections keep the one they started with); a bad one rejects with a
   * TlsFilesError and the current pair stays.
   */
  async reload(): Promise<TlsPair> {
    const pair = await loadTlsPair(this.#files);
    this.#tls.setSecureContext(secureOptionsOf(pair, this.#files.minVersion));
    this.#pair = pair;
    return pair;
  }
}
