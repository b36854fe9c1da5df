/**
 * The CLI's TLS options → what the server needs, checked at start: both files given (or
 * neither), readable, a certificate with its matching key. Every mistake is a ConfigError
 * of one line naming the option, so `dhttp` exits 2 before anything is started.
 */
import { ConfigError } from '../config/errors.js';
import type { EngineConfig } from '../config/types.js';
import { TlsFilesError, loadTlsPairSync } from './tls-credentials.js';
import type { TlsSetup } from './tls-listener.js';

export interface ListenerTls {
  readonly tls?: TlsSetup;
  readonly redirectHttpPort?: number;
}

export function listenerTlsOf(c: EngineConfig): ListenerTls {
  if (c.tlsCert === undefined && c.tlsKey === undefined) {
    if (c.redirectHttp !== 0) throw new ConfigError(`invalid --redirect-http "${c.redirectHttp}": needs --tls-cert and --tls-key`);
    return {};
  }
  if (c.tlsCert === undefined) throw new ConfigError('missing --tls-cert: --tls-key needs a certificate to go with it');
  if (c.tlsKey === undefined) throw new ConfigError('missing --tls-key: --tls-cert needs its private key');
  if (c.redirectHttp !== 0 && c.redirectHttp === c.port) {
    throw new ConfigError(`invalid --redirect-http "${c.redirectHttp}": must differ from --port`);
  }
  const files = { certFile: c.tlsCert, keyFile: c.tlsKey, minVersion: c.tlsMinVersion };
  try {
    const tls = { files, pair: loadTlsPairSync(files) };
    return c.redirectHttp === 0 ? { tls } : { tls, redirectHttpPort: c.redirectHttp };
  } catch (err) {
    if (err instanceof TlsFilesError) throw new ConfigError(err.message);
    throw err;
  }
}
