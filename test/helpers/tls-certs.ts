/**
 * Certificates made at test time with `openssl` (scripts/install-test-deps.sh installs
 * it): one private CA and two server pairs it signs, for `localhost` and 127.0.0.1. Each
 * cert file holds the chain (leaf, then the CA), as --tls-cert takes it; clients trust
 * the CA. Pair B has its own key, so A's cert with B's key is a mismatched pair.
 */
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestPair {
  /** Chain file: leaf then CA. */
  readonly cert: string;
  readonly key: string;
  /** SHA-256 fingerprint of the leaf, as TLSSocket#getPeerCertificate() reports it. */
  readonly fingerprint: string;
}

export interface TestCerts {
  readonly dir: string;
  /** The CA's PEM text, for clients' `ca`. */
  readonly ca: Buffer;
  readonly caFile: string;
  readonly a: TestPair;
  readonly b: TestPair;
  remove(): void;
}

function openssl(args: readonly string[], cwd: string): void {
  const r = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (r.error !== undefined)
    throw new Error(`openssl is needed for the TLS tests (scripts/install-test-deps.sh installs it): ${r.error.message}`);
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${r.stderr}`);
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

export function makeTestCerts(): TestCerts {
  const dir = mkdtempSync(join(tmpdir(), 'dhttp-tls-'));
  openssl(['req', '-x509', ...EC, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=dhttp test CA'], dir);
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  const pair = (name: string, serial: number): TestPair => {
    openssl(['req', ...EC, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', '/CN=localhost'], dir);
    openssl(
      ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', String(serial), '-days', '2'].concat([
        '-extfile',
        'san.ext',
        '-out',
        `${name}.leaf.pem`,
      ]),
      dir,
    );
    const leaf = readFileSync(join(dir, `${name}.leaf.pem`));
    const chain = join(dir, `${name}.chain.pem`);
    writeFileSync(chain, Buffer.concat([leaf, readFileSync(join(dir, 'ca.pem'))]));
    return { cert: chain, key: join(dir, `${name}.key`), fingerprint: new X509Certificate(leaf).fingerprint256 };
  };
  const a = pair('a', 1001);
  const b = pair('b', 1002);
  const caFile = join(dir, 'ca.pem');
  return { dir, ca: readFileSync(caFile), caFile, a, b, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
