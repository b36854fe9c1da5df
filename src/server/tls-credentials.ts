/**
 * The certificate and key a TLS listener serves, read from PEM files and checked the way
 * a handshake would use them (a secure context is built from them), so a bad file is
 * found at start or at reload time, never by the first client.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createSecureContext, type SecureContextOptions } from 'node:tls';

export type TlsMinVersion = 'TLSv1.2' | 'TLSv1.3';

export interface TlsFiles {
  /** PEM: the server certificate first, then any intermediates (a chain). */
  readonly certFile: string;
  /** PEM private key matching the first certificate of certFile (unencrypted). */
  readonly keyFile: string;
  /** @default 'TLSv1.2' */
  readonly minVersion: TlsMinVersion;
}

/** The files cannot be served; `message` is one line naming the option and the file. */
export class TlsFilesError extends Error {
  readonly code = 'ERR_DHTTP_TLS_FILES';

  constructor(message: string) {
    super(message);
    this.name = 'TlsFilesError';
  }
}

/** One validated certificate/key pair. */
export interface TlsPair {
  readonly cert: Buffer;
  readonly key: Buffer;
  /** SHA-256 fingerprint of the leaf certificate (colon-separated hex), for logs. */
  readonly fingerprint: string;
  /** The leaf certificate's notAfter, as OpenSSL prints it. */
  readonly validTo: string;
}

/** ALPN: only HTTP/1.1 is spoken behind the listener. */
export const ALPN_PROTOCOLS: readonly string[] = Object.freeze(['http/1.1']);

/** What tls.Server / setSecureContext take for a pair. */
export function secureOptionsOf(pair: TlsPair, minVersion: TlsMinVersion): SecureContextOptions {
  return { cert: pair.cert, key: pair.key, minVersion };
}

/** Reads and checks the files now (at start: a failure is a configuration error). */
export function loadTlsPairSync(files: TlsFiles): TlsPair {
  return checkPair(files, readPem(files.certFile, '--tls-cert', readFileSync), readPem(files.keyFile, '--tls-key', readFileSync));
}

/** Reads and checks the files again (SIGHUP); rejects with a TlsFilesError and changes nothing. */
export async function loadTlsPair(files: TlsFiles): Promise<TlsPair> {
  const [cert, key] = await Promise.all([readPemAsync(files.certFile, '--tls-cert'), readPemAsync(files.keyFile, '--tls-key')]);
  return checkPair(files, cert, key);
}

function readPem(path: string, flag: string, read: (p: string) => Buffer): Buffer {
  try {
    return read(path);
  } catch (err) {
    throw new TlsFilesError(`invalid ${flag} ${JSON.stringify(path)}: ${ioText(err)}`);
  }
}

async function readPemAsync(path: string, flag: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new TlsFilesError(`invalid ${flag} ${JSON.stringify(path)}: ${ioText(err)}`);
  }
}

function checkPair(files: TlsFiles, cert: Buffer, key: Buffer): TlsPair {
  const certText = cert.toString('latin1');
  const badCert = (why: string): TlsFilesError => new TlsFilesError(`invalid --tls-cert ${JSON.stringify(files.certFile)}: ${why}`);
  const badKey = (why: string): TlsFilesError => new TlsFilesError(`invalid --tls-key ${JSON.stringify(files.keyFile)}: ${why}`);
  if (!certText.includes('-----BEGIN CERTIFICATE-----')) throw badCert('no PEM certificate in it');
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(key.toString('latin1'))) throw badKey('no PEM private key in it');
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(cert);
  } catch (err) {
    throw badCert(`not a readable certificate (${opensslText(err)})`);
  }
  try {
    if (!leaf.checkPrivateKey(createPrivateKey(key))) throw badKey(`does not match the certificate in ${JSON.stringify(files.certFile)}`);
  } catch (err) {
    if (err instanceof TlsFilesError) throw err;
    throw badKey(`not a readable private key (${opensslText(err)})`);
  }
  try {
    // What a handshake uses: the whole chain, the key, the protocol floor.
    createSecureContext({ cert, key, minVersion: files.minVersion });
  } catch (err) {
    throw badCert(`cannot be served with ${JSON.stringify(files.keyFile)} (${opensslText(err)})`);
  }
  return { cert, key, fingerprint: leaf.fingerprint256, validTo: leaf.validTo };
}

function ioText(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return 'ENOENT: no such file';
    case 'EACCES':
    case 'EPERM':
      return `${code}: permission denied`;
    case 'EISDIR':
      return 'EISDIR: a directory, not a file';
    default:
      return code ?? (err instanceof Error ? err.message : String(err));
  }
}

/** OpenSSL's reason without its "error:0480006C:PEM routines::" prefix. */
function opensslText(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.replace(/^error:[0-9A-F]+:[^:]*::?/, '');
}
