/**
 * Opens a socket to an upstream - TCP, a Unix-domain socket, or TLS to an `https:`
 * origin (ALPN http/1.1, the operator's CA when given) - within the connect timeout.
 */
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { clientError } from './errors.js';

export interface UpstreamTarget {
  readonly host: string;
  readonly port: number;
  /** host[:port], for messages. */
  readonly authority: string;
  /** Connect here instead of host:port. */
  readonly socketPath: string | undefined;
  /** TLS to the upstream: its server name and the CAs to trust (Node's when undefined). */
  readonly tls: { readonly servername: string; readonly ca: Buffer | undefined } | undefined;
  readonly connectTimeoutMs: number;
}

/** net.connect's `onread`: reads into one buffer the caller reuses. */
export interface SharedRead {
  buffer: Buffer;
  callback(n: number, buf: Uint8Array): boolean;
}

/** Resolves with the socket once it can carry a request; rejects with the connect error. */
export function connectUpstream(target: UpstreamTarget, onread: SharedRead | undefined): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const tls = target.tls;
    let socket: Socket;
    if (target.socketPath !== undefined) socket = connect({ path: target.socketPath, onread });
    else if (tls !== undefined) {
      // TLS sockets deliver through 'data' (onread does not apply).
      socket = tlsConnect({ host: target.host, port: target.port, servername: tls.servername, ca: tls.ca, ALPNProtocols: ['http/1.1'] });
      socket.setNoDelay(true);
    } else socket = connect({ host: target.host, port: target.port, noDelay: true, onread });
    const timer = setTimeout(() => {
      socket.destroy(clientError('CONNECT_TIMEOUT', `connect to ${target.authority} timed out after ${target.connectTimeoutMs} ms`));
    }, target.connectTimeoutMs);
    timer.unref();
    const onError = (err: Error): void => {
      clearTimeout(timer);
      reject(err);
    };
    socket.once('error', onError);
    socket.once(tls !== undefined ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      socket.off('error', onError);
      resolve(socket);
    });
  });
}
