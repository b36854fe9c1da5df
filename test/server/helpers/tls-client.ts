/** A TLS test client speaking raw HTTP/1.1 bytes over one connection (tests only). */
import tls, { type ConnectionOptions, type TLSSocket } from 'node:tls';
import { type RawResponse, parseResponses } from './raw-client.js';

/** Connects and finishes the handshake (rejects if it fails or the server closes first). */
export function tlsConnect(port: number, options: ConnectionOptions = {}): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ALPNProtocols: ['http/1.1'], ...options });
    s.once('secureConnect', () => {
      s.off('error', reject);
      s.on('error', () => {});
      resolve(s);
    });
    s.once('error', reject);
    s.once('close', () => reject(new Error('closed before the handshake completed')));
  });
}

/** Writes `request` and resolves with the next complete response on `socket`. */
export function exchange(socket: TLSSocket, request: string, timeoutMs = 5000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const done = (err: Error | undefined, res?: RawResponse): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      if (err !== undefined) reject(err);
      else resolve(res as RawResponse);
    };
    const onData = (c: Buffer): void => {
      chunks.push(c);
      const { responses } = parseResponses(Buffer.concat(chunks));
      if (responses.length > 0) done(undefined, responses[0]);
    };
    const onClose = (): void => {
      const { responses } = parseResponses(Buffer.concat(chunks), undefined, true);
      if (responses.length > 0) done(undefined, responses[0]);
      else done(new Error('closed without a response'));
    };
    const timer = setTimeout(() => done(new Error(`no response within ${timeoutMs} ms`)), timeoutMs);
    socket.on('data', onData);
    socket.on('close', onClose);
    socket.write(request);
  });
}

/** Resolves once `socket` is closed (by either side). */
export function closed(socket: { destroyed: boolean; once(e: 'close', f: () => void): unknown }): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) resolve();
    else socket.once('close', () => resolve());
  });
}
