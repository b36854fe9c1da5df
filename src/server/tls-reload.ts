/**
 * SIGHUP re-reads the listener's certificate and key (nginx's reload, for TLS files).
 * Installed only by servers that serve TLS: elsewhere SIGHUP keeps its default meaning.
 * Each attempt logs one line: the new certificate's fingerprint, or why the files were
 * refused (the current pair then stays in use).
 */
import type { TlsPair } from './tls-credentials.js';

export interface ReloadLogger {
  info(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** Installs the SIGHUP handler; returns its remover. */
export function reloadTlsOnSighup(reload: () => Promise<TlsPair>, logger: ReloadLogger): () => void {
  let running: Promise<void> | undefined;
  let again = false;
  const run = async (): Promise<void> => {
    do {
      again = false;
      try {
        const pair = await reload();
        logger.info({ event: 'tls_reloaded', fingerprint: pair.fingerprint, valid_to: pair.validTo }, 'TLS certificate reloaded');
      } catch (err) {
        const error = err instanceof Error ? err.message : String(err);
        logger.error({ event: 'tls_reload_failed', error }, `TLS reload refused, the current certificate stays: ${error}`);
      }
    } while (again);
  };
  const onHup = (): void => {
    // A signal during a reload asks for one more, after it (the files may have changed again).
    if (running !== undefined) {
      again = true;
      return;
    }
    running = run().finally(() => {
      running = undefined;
    });
  };
  process.on('SIGHUP', onHup);
  return () => process.off('SIGHUP', onHup);
}
