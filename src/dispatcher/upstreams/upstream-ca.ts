/** `--upstream-ca`: the PEM CAs to trust for https:// workers, read once at start. */
import { readFileSync } from 'node:fs';
import { ConfigError } from '../../config/errors.js';

/** The bundle's bytes; a missing, unreadable or non-PEM file is a one-line start error. */
export function readUpstreamCa(path: string): Buffer {
  let pem: Buffer;
  try {
    pem = readFileSync(path);
  } catch (err) {
    throw new ConfigError(`invalid --upstream-ca ${JSON.stringify(path)}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new ConfigError(`invalid --upstream-ca ${JSON.stringify(path)}: no PEM certificate in it`);
  }
  return pem;
}
